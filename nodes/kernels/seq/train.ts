// Training and prediction of the sequence models (lstm, swin nodes): the network (a SeqNet, net.ts)
// trained by the one training loop (train/fit.ts) with Adam with coupled weight decay, one fresh
// random draw of every training scan per epoch in a shuffled order, validation after each epoch on
// the sequences input's validation draws (scan probability = mean over its draws, threshold 0.5,
// macro-F1 over scans); then predictions for every draw with the best epoch's weights (predict.ts).
import { createHash } from 'node:crypto';
import type * as TFJS from '@tensorflow/tfjs';
import type { Rng } from '../../../engine/rng.js';
import type { NodeContext, Outputs, TableReader } from '../../../engine/types.js';
import { binaryMetrics } from '../eval/binary-metrics.js';
import { useBackend, type TF } from '../tf/backend.js';
import { keepsOnDevice } from '../tf/on-device.js';
import { adamEntries, adamState, adamUpdate, restoreAdam, type AdamOptions, type AdamState } from '../train/adam.js';
import { fit, type Validation } from '../train/fit.js';
import { historyBatch } from '../train/history.js';
import { HOST_BACKENDS } from './host.js';
import { drawsOf, type Draw, type ScanSlices } from './data.js';
import { assemble, EmbeddingCache, indexEmbeddings, type Inputs } from './embedding-index.js';
import { initialEntries } from './init.js';
import { seqModelBatch } from './model-table.js';
import type { SeqNet } from './net.js';
import type { SeqTrainParams } from './params.js';
import { passGrads, type PassJob } from './pass.js';
import { drawScorer, entryFinder, predictionBatches } from './predict.js';
import { paramValues, Replicas } from './replicas.js';
import { draw, type SeqMode } from './sampling.js';

type T = TFJS.Tensor;

const bceOf = (z: number, y: number) => Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));

/**
 * One Adam step on `inputs` with labels `y`, in passes of at most `micro` draws whose gradients are
 * summed in pass order (each pass's loss weighted by its share of the batch); returns the batch's
 * mean loss. With `replicas`, pass i runs on thread i mod threads (0: this one), all at once: the
 * same passes and the same sum, so the same bytes as without.
 */
export async function trainStep(tf: TF, net: SeqNet, params: Map<string, T>, adam: AdamState, opt: AdamOptions, inputs: Inputs, y: Float32Array, micro = inputs.shape[0], replicas?: Replicas): Promise<number> {
  const loss = await stepLoss(tf, net, params, adam, opt, inputs, y, micro, replicas);
  if (typeof loss === 'number') return loss;
  try {
    return (await loss.data())[0];
  } finally {
    loss.dispose();
  }
}

/**
 * trainStep leaving the loss where the backend keeps it: on a device backend (WebGPU) the passes'
 * losses are summed there and the sum returned as a scalar tensor the caller disposes (nothing in
 * the step waits for the GPU); elsewhere each pass's loss is read and summed on the host, as before.
 */
export async function stepLoss(tf: TF, net: SeqNet, params: Map<string, T>, adam: AdamState, opt: AdamOptions, inputs: Inputs, y: Float32Array, micro = inputs.shape[0], replicas?: Replicas): Promise<number | TFJS.Scalar> {
  const names = net.specs.map((s) => s.name);
  const [B, L, E] = inputs.shape;
  const job = (at: number): PassJob => {
    const n = Math.min(micro, B - at);
    return { x: inputs.x.subarray(at * L * E, (at + n) * L * E), y: y.subarray(at, at + n), lengths: inputs.lengths.slice(at, at + n), L, E, batch: B };
  };
  const values = replicas && B > micro ? await paramValues(net, params) : [];
  const remote = new Map<number, ReturnType<Replicas['pass']>>();
  for (let at = 0, i = 0; at < B; at += micro, i++) if (i % (replicas?.threads ?? 1)) remote.set(at, replicas!.pass(i % replicas!.threads, values, job(at)));
  let grads: T[] = [];
  let loss = 0;
  let onDevice: TFJS.Scalar | null = null;
  try {
    for (let at = 0; at < B; at += micro) {
      const r = remote.get(at);
      const pass = r ? await r.then((p) => ({ value: p.loss, grads: p.grads.map((g, k) => tf.tensor(g, net.specs[k].shape, 'float32')) })) : passGrads(tf, net, params, job(at));
      if (typeof pass.value !== 'number' && keepsOnDevice(tf)) {
        const sum: TFJS.Scalar = onDevice ? tf.add(onDevice, pass.value) : pass.value;
        if (onDevice) tf.dispose([onDevice, pass.value]);
        onDevice = sum;
      } else {
        loss += typeof pass.value === 'number' ? pass.value : (await pass.value.data())[0];
        if (typeof pass.value !== 'number') pass.value.dispose();
      }
      const sum = grads.length ? grads.map((g, k) => tf.add(g, pass.grads[k])) : pass.grads;
      if (grads.length) tf.dispose([...grads, ...pass.grads]);
      grads = sum;
    }
  } catch (e) {
    tf.dispose([...grads, ...(onDevice ? [onDevice] : [])]);
    await Promise.allSettled(remote.values());
    throw e;
  }
  adamUpdate(tf, opt, adam, params, new Map(names.map((n, i) => [n, grads[i]])));
  tf.dispose(grads);
  return onDevice ?? loss;
}

/** A training scan's draw for `epoch`: fresh every epoch, independent of the other scans and of the batch order. */
export function epochDraw(kind: SeqMode, ref: ScanSlices, length: number, rngFor: (label: string) => Rng, epoch: number): Int32Array {
  return draw(kind, ref.slices, length, rngFor(`draw:${epoch}:${ref.scan}`));
}

const chunks = <X>(xs: X[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

function shuffled<X>(xs: X[], rng: Rng): X[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * A sequence node's whole run: index the embeddings, train `build(dim)`'s network on the training
 * scans, and yield the model table and history, then the predictions of every sequences row.
 */
export async function* trainSequenceModel(ctx: NodeContext<SeqTrainParams>, inputs: Record<string, TableReader>, build: (tf: TF, dim: number) => SeqNet, who: string, kind: SeqMode): AsyncGenerator<Outputs> {
  const p = ctx.params;
  const scans = await indexEmbeddings(inputs.embeddings, who);
  const emb = new EmbeddingCache(inputs.embeddings, who);
  const entryOf = entryFinder(scans, who);
  const labelled = (split: string) => [...scans.values()].filter((e) => e.ref.split === split && e.ref.slices.length > 0 && e.ref.label !== null);
  const train = labelled('train');
  if (!train.length) throw new Error(`${who}: no labelled training scan among ${scans.size} scans in the embeddings; give some scans split "train" and a label upstream`);
  const validation: Draw[] = [];
  for await (const b of inputs.sequences) validation.push(...drawsOf(b, who).filter((d) => d.split === 'validation' && d.label !== null));
  if (!validation.length) ctx.log('no labelled validation draws in the sequences input: no early stopping, the last epoch is the output');

  const { tf, backend } = await useBackend(ctx.backend);
  ctx.note('backend', backend);
  await emb.matrix(train[0]);
  const net = build(tf, emb.dim);
  const params = new Map(initialEntries(net.specs, ctx.rngFor).map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32')]));
  const adam = adamState();
  const opt: AdamOptions = { lr: p.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: p.weightDecay };
  const micro = p.microbatch ?? p.batch;
  // passes run on threads only where the backend computes in this thread (wasm, cpu); native and GPU backends have their own
  const threads = (HOST_BACKENDS as readonly string[]).includes(backend) ? Math.min(ctx.threads, Math.ceil(Math.min(p.batch, train.length) / micro)) : 1;
  ctx.note('threads', threads);
  let replicas: Replicas | undefined;
  try {
    if (threads > 1) replicas = await Replicas.start(net, backend, threads);
    const fingerprint = createHash('sha256').update(JSON.stringify({
      config: net.config, length: net.length, batch: p.batch, opt, backend,
      train: train.map((e) => e.ref.scan), validation: validation.map((d) => [d.scan, d.draw, Array.from(d.slices)]),
    })).digest('hex');
    const score = drawScorer(tf, net, params, emb, p.batch, who);
    const validate = async (): Promise<Validation> => {
      const z = await score(validation.map((d) => ({ entry: entryOf(d), slices: d.slices })));
      const byScan = new Map<string, { label: number; probs: number[] }>();
      let loss = 0;
      validation.forEach((d, i) => {
        loss += bceOf(z[i], d.label!);
        (byScan.get(d.scan) ?? byScan.set(d.scan, { label: d.label!, probs: [] }).get(d.scan)!).probs.push(1 / (1 + Math.exp(-z[i])));
      });
      const m = binaryMetrics([...byScan.values()].map((s) => ({ label: s.label, prob: s.probs.reduce((a, b) => a + b, 0) / s.probs.length })));
      return { loss: loss / validation.length, f1: m.macro_f1, accuracy: m.accuracy };
    };
    const result = await fit(tf, {
      params,
      optimizer: { step: () => adam.step, entries: () => adamEntries(adam), restore: (entries, step) => restoreAdam(tf, adam, entries, step) },
      *steps(epoch) {
        for (const group of chunks(shuffled(train, ctx.rngFor(`order:${epoch}`)), p.batch)) {
          yield async () => {
            const items = group.map((entry) => ({ entry, slices: epochDraw(net.kind, entry.ref, net.length, ctx.rngFor, epoch) }));
            const y = Float32Array.from(group, (e) => e.ref.label!);
            const loss = await stepLoss(tf, net, params, adam, opt, await assemble(items, emb, net, who), y, micro, replicas).catch((e: Error) => {
              throw /Aborted\(\)/.test(e.message)
                ? new Error(`${who}: the ${backend} backend ran out of memory in a training step of ${Math.min(micro, group.length)} draws per pass (${e.message}); lower params.microbatch`)
                : e;
            });
            return { loss, weight: group.length };
          };
        }
      },
      validate: validation.length ? validate : null,
    }, p, { checkpoints: { dir: ctx.checkpoints, fingerprint }, signal: ctx.signal, progress: ctx.progress, log: ctx.log });
    ctx.note('best_epoch', result.bestEpoch);
    if (result.resumed) ctx.note('resumed_after_epoch', result.resumed);
    if (result.stoppedEarly) ctx.note('stopped_early', true);
    yield { model: seqModelBatch(net.kind, net.config, result.best), history: historyBatch(result.history, result.bestEpoch) };
    for (const e of result.best) {
      params.get(e.name)?.dispose();
      params.set(e.name, tf.tensor(e.data, e.shape, 'float32'));
    }
    yield* predictionBatches(inputs.sequences, score, entryOf, p.name ?? kind, who);
  } finally {
    await replicas?.close();
    tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
    net.dispose();
  }
}
