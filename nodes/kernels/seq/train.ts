// Training and prediction of the sequence models (lstm, swin nodes), after the CNN trainer's
// conventions (nodes/kernels/cnn/train-loop.ts): Adam with coupled weight decay, one fresh random
// draw of every training scan per epoch, validation after each epoch on the sequences input's
// validation draws (scan probability = mean over its draws, threshold 0.5, macro-F1 over scans),
// early stopping on validation F1 (ties: lower validation loss), the best epoch's weights as the
// output, a checkpoint per epoch that a rerun resumes from; then predictions for every draw.
import { createHash } from 'node:crypto';
import type { RecordBatch } from 'apache-arrow';
import type * as TFJS from '@tensorflow/tfjs';
import { makeBatch } from '../../../engine/ports.js';
import type { Rng } from '../../../engine/rng.js';
import type { NodeContext, Outputs, TableReader } from '../../../engine/types.js';
import { History, Predictions } from '../../tables.js';
import { adamState, adamUpdate, type AdamOptions, type AdamState } from '../cnn/adam.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta, type EpochRecord } from '../cnn/checkpoint.js';
import { binaryMetrics } from '../eval/binary-metrics.js';
import { useBackend, type TF } from '../tf/backend.js';
import { entriesToBatch, type WeightEntry } from '../tf/weights.js';
import { drawsOf, embeddingMatrix, scansOf, type Draw, type ScanSlices } from './data.js';
import { initialEntries, type ParamSpec } from './init.js';
import type { SeqTrainParams } from './params.js';
import { draw, type SeqMode } from './sampling.js';

type T = TFJS.Tensor;

/** A sequence model as the loop needs it. */
export interface SeqNet {
  /** 'lstm' | 'swin': the training draws' rule and the model table's config row. */
  kind: SeqMode;
  /** Slices per training draw. */
  length: number;
  /** Whether every draw must have exactly `length` slices (the Swin image) rather than at most (the LSTM pads and masks). */
  fixed: boolean;
  specs: ParamSpec[];
  /** Everything that fixes the network's shape (stored in the model table). */
  config: object;
  /** Logits [B] of x [B, T, E], rows past lengths[b] being padding (call inside tf.tidy). */
  logits(tf: TF, params: Map<string, T>, x: T, lengths: number[]): TFJS.Tensor1D;
  dispose(): void;
}

interface ScanEntry { ref: ScanSlices; batch: number }

/** Embedding matrices of scans (rows in slice order), read through the table reader and kept up to a byte budget. */
class EmbeddingCache {
  private readonly cache = new Map<string, Float32Array>();
  private bytes = 0;
  dim = 0;
  constructor(private readonly reader: TableReader, private readonly who: string, private readonly budget = 1 << 30) {}

  async matrix(e: ScanEntry): Promise<Float32Array> {
    const hit = this.cache.get(e.ref.scan);
    if (hit) return hit;
    const { dim, values } = embeddingMatrix(await this.reader.batch(e.batch), e.ref, this.who);
    if (this.dim && dim !== this.dim) throw new Error(`${this.who}: scan "${e.ref.scan}" has ${dim}-value embeddings, others ${this.dim}; all embeddings must have one size`);
    this.dim = dim;
    for (const [scan, m] of this.cache) {
      if (this.bytes + values.byteLength <= this.budget) break;
      this.cache.delete(scan);
      this.bytes -= m.byteLength;
    }
    this.cache.set(e.ref.scan, values);
    this.bytes += values.byteLength;
    return values;
  }
}

interface Item { entry: ScanEntry; slices: Int32Array }
/** x [B, L, E] (a batch of draws' embeddings, zero rows after each draw's `lengths[b]` slices). */
export interface Inputs { x: Float32Array; shape: [number, number, number]; lengths: number[] }

/** The items' slices' embeddings in order, padded to the longest draw. */
async function assemble(items: Item[], emb: EmbeddingCache, net: SeqNet, who: string): Promise<Inputs> {
  const matrices = await Promise.all(items.map((it) => emb.matrix(it.entry)));
  const E = emb.dim;
  const L = Math.max(...items.map((it) => it.slices.length));
  const x = new Float32Array(items.length * L * E);
  items.forEach(({ entry, slices }, b) => {
    if (net.fixed && slices.length !== net.length) {
      throw new Error(`${who}: a draw of scan "${entry.ref.scan}" has ${slices.length} slices but the ${net.kind} model takes exactly ${net.length}: sample with a sequence-sampler in mode ${net.kind} and length ${net.length}`);
    }
    slices.forEach((s, k) => {
      const at = binarySearch(entry.ref.slices, s);
      if (at < 0) throw new Error(`${who}: a draw of scan "${entry.ref.scan}" lists slice ${s}, which has no embedding; sample from the same embeddings table`);
      x.set(matrices[b].subarray(at * E, (at + 1) * E), (b * L + k) * E);
    });
  });
  return { x, shape: [items.length, L, E], lengths: items.map((it) => it.slices.length) };
}

function binarySearch(sorted: Int32Array, v: number): number {
  let lo = 0, hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === v) return mid;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Mean binary cross-entropy of sigmoid(z) against y: max(z, 0) − z·y + log(1 + e^−|z|). */
const bce = (tf: TF, z: T, y: T) => tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as TFJS.Scalar;
const bceOf = (z: number, y: number) => Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));

/**
 * One Adam step on `inputs` with labels `y`, in passes of at most `micro` draws whose gradients are
 * summed (each pass's loss weighted by its share of the batch); returns the batch's mean loss.
 */
export async function trainStep(tf: TF, net: SeqNet, params: Map<string, T>, adam: AdamState, opt: AdamOptions, inputs: Inputs, y: Float32Array, micro = inputs.shape[0]): Promise<number> {
  const names = net.specs.map((s) => s.name);
  const [B, L, E] = inputs.shape;
  let grads: T[] = [];
  let loss = 0;
  for (let at = 0; at < B; at += micro) {
    const n = Math.min(micro, B - at);
    const pass = tf.tidy(() => {
      const x = tf.tensor3d(inputs.x.subarray(at * L * E, (at + n) * L * E), [n, L, E]);
      const labels = tf.tensor1d(y.subarray(at, at + n));
      const f = () => bce(tf, net.logits(tf, params, x, inputs.lengths.slice(at, at + n)), labels);
      return tf.valueAndGrads(n === B ? f : () => tf.mul(f(), n / B) as TFJS.Scalar)(names.map((name) => params.get(name)!));
    });
    loss += (await pass.value.data())[0];
    pass.value.dispose();
    const sum = grads.length ? grads.map((g, i) => tf.add(g, pass.grads[i])) : pass.grads;
    if (grads.length) tf.dispose([...grads, ...pass.grads]);
    grads = sum;
  }
  adamUpdate(tf, opt, adam, params, new Map(names.map((n, i) => [n, grads[i]])));
  tf.dispose(grads);
  return loss;
}

export async function predictLogits(tf: TF, net: SeqNet, params: Map<string, T>, inputs: Inputs): Promise<Float32Array> {
  const z = tf.tidy(() => net.logits(tf, params, tf.tensor3d(inputs.x, inputs.shape), inputs.lengths));
  const out = (await z.data()) as Float32Array;
  z.dispose();
  return out;
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

async function entriesOf(map: Map<string, T>, prefix = ''): Promise<WeightEntry[]> {
  const out: WeightEntry[] = [];
  for (const [name, t] of map) out.push({ name: prefix + name, shape: t.shape, dtype: 'float32', data: (await t.data()) as Float32Array });
  return out;
}

function put(tf: TF, map: Map<string, T>, name: string, e: WeightEntry): void {
  map.get(name)?.dispose();
  map.set(name, tf.tensor(e.data, e.shape, 'float32'));
}

/** The model table: one int32 row `ctflow.<kind>.config` with the JSON config's UTF-8 bytes, then the tensors (as cnn/model-table.ts). */
export function seqModelBatch(net: SeqNet, entries: WeightEntry[]): RecordBatch {
  const bytes = new TextEncoder().encode(JSON.stringify({ format: `ctflow-${net.kind}/1`, ...net.config }));
  return entriesToBatch([{ name: `ctflow.${net.kind}.config`, shape: [bytes.length], dtype: 'int32', data: Int32Array.from(bytes) }, ...entries]);
}

interface Validation { loss: number; f1: number; accuracy: number }

/**
 * A sequence node's whole run: index the embeddings, train `build(dim)`'s network on the training
 * scans, and yield the model table and history, then the predictions of every sequences row.
 */
export async function* trainSequenceModel(ctx: NodeContext<SeqTrainParams>, inputs: Record<string, TableReader>, build: (tf: TF, dim: number) => SeqNet, who: string): AsyncGenerator<Outputs> {
  const p = ctx.params;
  const scans = new Map<string, ScanEntry>();
  for (let i = 0; i < inputs.embeddings.numBatches; i++) {
    for (const ref of scansOf(await inputs.embeddings.batch(i), who)) {
      if (scans.has(ref.scan)) throw new Error(`${who}: scan "${ref.scan}" appears in two batches of the embeddings; each scan must come once`);
      scans.set(ref.scan, { ref, batch: i });
    }
  }
  const emb = new EmbeddingCache(inputs.embeddings, who);
  const entryOf = (d: Draw) => {
    const e = scans.get(d.scan);
    if (!e) throw new Error(`${who}: the sequences input has draws of scan "${d.scan}", which the embeddings input lacks; sample from the same embeddings table`);
    return e;
  };
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
  try {
    const fingerprint = createHash('sha256').update(JSON.stringify({
      config: net.config, length: net.length, batch: p.batch, opt, backend,
      train: train.map((e) => e.ref.scan), validation: validation.map((d) => [d.scan, d.draw, Array.from(d.slices)]),
    })).digest('hex');
    const predict = async (draws: { entry: ScanEntry; slices: Int32Array }[]) => {
      const out: number[] = [];
      for (const c of chunks(draws, p.batch)) out.push(...(await predictLogits(tf, net, params, await assemble(c, emb, net, who))));
      return out;
    };
    const validate = async (): Promise<Validation> => {
      const z = await predict(validation.map((d) => ({ entry: entryOf(d), slices: d.slices })));
      const byScan = new Map<string, { label: number; probs: number[] }>();
      let loss = 0;
      validation.forEach((d, i) => {
        loss += bceOf(z[i], d.label!);
        (byScan.get(d.scan) ?? byScan.set(d.scan, { label: d.label!, probs: [] }).get(d.scan)!).probs.push(1 / (1 + Math.exp(-z[i])));
      });
      const m = binaryMetrics([...byScan.values()].map((s) => ({ label: s.label, prob: s.probs.reduce((a, b) => a + b, 0) / s.probs.length })));
      return { loss: loss / validation.length, f1: m.macro_f1, accuracy: m.accuracy };
    };

    let history: EpochRecord[] = [];
    let best: WeightEntry[] = [];
    let bestEpoch = 0, since = 0;
    let saved: CheckpointMeta | null = null;
    const ckpt = await loadCheckpoint(ctx.checkpoints, fingerprint, ctx.log);
    if (ckpt) {
      for (const e of ckpt.state) {
        const [map, name] = e.name.startsWith('adam.m/') ? [adam.m, e.name.slice(7)] : e.name.startsWith('adam.v/') ? [adam.v, e.name.slice(7)] : [params, e.name];
        if (map === params && !params.has(name)) throw new Error(`${who}: checkpoint tensor "${name}" is not in the model; delete ${ctx.checkpoints} and rerun`);
        put(tf, map, name, e);
      }
      adam.step = ckpt.meta.adamStep;
      ({ history, bestEpoch, since } = ckpt.meta);
      best = ckpt.best;
      saved = ckpt.meta;
      ctx.note('resumed_after_epoch', history.length);
      ctx.log(`resuming after epoch ${history.length} from ${ctx.checkpoints}`);
    }
    for (let epoch = history.length + 1; epoch <= p.epochs && !(validation.length && since >= p.patience); epoch++) {
      const t0 = performance.now();
      let loss = 0;
      for (const group of chunks(shuffled(train, ctx.rngFor(`order:${epoch}`)), p.batch)) {
        if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('training aborted');
        const items = group.map((entry) => ({ entry, slices: epochDraw(net.kind, entry.ref, net.length, ctx.rngFor, epoch) }));
        const y = Float32Array.from(group, (e) => e.ref.label!);
        loss += (await trainStep(tf, net, params, adam, opt, await assemble(items, emb, net, who), y, p.microbatch ?? p.batch).catch((e: Error) => {
          throw /Aborted\(\)/.test(e.message)
            ? new Error(`${who}: the ${backend} backend ran out of memory in a training step of ${Math.min(p.microbatch ?? p.batch, group.length)} draws per pass (${e.message}); lower params.microbatch`)
            : e;
        })) * group.length;
      }
      const val = validation.length ? await validate() : null;
      const record: EpochRecord = {
        epoch, train_loss: loss / train.length, val_loss: val?.loss ?? null, val_f1: val?.f1 ?? null, val_accuracy: val?.accuracy ?? null,
        seconds: (performance.now() - t0) / 1000,
      };
      const prior = history[bestEpoch - 1];
      const improved = !val || !prior || val.f1 > prior.val_f1! || (val.f1 === prior.val_f1 && val.loss < prior.val_loss!);
      history.push(record);
      if (improved) [best, bestEpoch, since] = [await entriesOf(params), epoch, 0];
      else since++;
      const state = [...(await entriesOf(params)), ...(await entriesOf(adam.m, 'adam.m/')), ...(await entriesOf(adam.v, 'adam.v/'))];
      saved = await saveCheckpoint(ctx.checkpoints, { fingerprint, epoch, history, bestEpoch, since, adamStep: adam.step }, state, improved ? best : null, saved);
      const info = `loss ${record.train_loss.toFixed(4)}${val ? ` val loss ${val.loss.toFixed(4)} val F1 ${val.f1.toFixed(3)} val acc ${val.accuracy.toFixed(3)}` : ''}`;
      ctx.progress(epoch, p.epochs, info);
      ctx.log(`epoch ${epoch}/${p.epochs}: ${info} (${record.seconds.toFixed(1)} s)`);
    }
    ctx.note('best_epoch', bestEpoch);
    if (history.length < p.epochs) ctx.note('stopped_early', true);
    yield {
      model: seqModelBatch(net, best),
      history: makeBatch(History, {
        epoch: history.map((r) => r.epoch), train_loss: history.map((r) => r.train_loss), val_loss: history.map((r) => r.val_loss),
        val_f1: history.map((r) => r.val_f1), val_accuracy: history.map((r) => r.val_accuracy), seconds: history.map((r) => r.seconds),
        best: history.map((r) => (r.epoch === bestEpoch ? 1 : 0)),
      }),
    };
    for (const e of best) put(tf, params, e.name, e);
    const model = p.name ?? ctx.id;
    for await (const b of inputs.sequences) {
      const draws = drawsOf(b, who);
      if (!draws.length) continue;
      const z = await predict(draws.map((d) => ({ entry: entryOf(d), slices: d.slices })));
      yield {
        predictions: makeBatch(Predictions, {
          model: draws.map(() => model), scan_id: draws.map((d) => d.scan), split: draws.map((d) => d.split), label: draws.map((d) => d.label),
          draw: draws.map((d) => d.draw), prob: Float32Array.from(z, (v) => 1 / (1 + Math.exp(-v))),
        }),
      };
    }
  } finally {
    tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
    net.dispose();
  }
}
