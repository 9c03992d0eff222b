// Issue 18 item 2: a short training run of quick.yaml's models on webgpu reaches the validation
// metrics the same run reaches on wasm. Same seed, same data, same batches: the two backends differ
// by rounding only, so their epoch histories must agree far inside the spread between seeds. The
// CNN with quick.yaml's settings (small backbone, 16 slices a batch from 4 scans, Adam 1e-3) at 32²
// for 2 epochs of 2 steps; the lstm and swin nodes with quick.yaml's networks for 2 epochs on the
// sequence tests' synthetic embeddings. Tolerances: training and validation loss within 1e-3
// relative, validation F1 and accuracy equal (each scan's call the same). Each node runs through
// its own run(), notes the backend that ran, and leaves no tensor behind on webgpu (so nothing in
// the loop is something WebGPU cannot do, such as dataSync).
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { checkParams } from '../../../engine/params.js';
import type { NodeDef, Outputs } from '../../../engine/types.js';
import trainer from '../../../nodes/cnn-trainer.js';
import lstm from '../../../nodes/lstm.js';
import sequenceSampler from '../../../nodes/sequence-sampler.js';
import swin from '../../../nodes/swin.js';
import { liveTensors, useBackend } from '../../../nodes/kernels/tf/backend.js';
import { testContext } from '../../helpers/context.js';
import { memoryReader } from '../../helpers/samples.js';
import { syntheticScans } from '../cnn/data.js';
import { syntheticEmbeddings } from '../seq/synthetic.js';
import { webgpuOrSkip } from './webgpu-env.js';

type History = Record<string, number>[];

async function history(def: NodeDef, params: Record<string, unknown>, inputs: () => Record<string, ReturnType<typeof memoryReader>>, backend: string): Promise<History> {
  const { value, errors } = checkParams(def, params);
  expect(errors).to.deep.equal([]);
  const ctx = { ...testContext(value, { seed: 7 }), backend };
  const { tf } = await useBackend(backend);
  const before = liveTensors(tf);
  const outs: Outputs[] = [];
  for await (const o of (def.run as (c: unknown, i: unknown) => AsyncIterable<Outputs>)(ctx, inputs())) outs.push(o);
  expect(ctx.notes.backend).to.equal(backend);
  expect(tf.getBackend()).to.equal(backend);
  expect(liveTensors(tf), `${def.kind} on ${backend}: tensors left`).to.equal(before);
  return outs[0].history.toArray().map((r) => r.toJSON() as Record<string, number>);
}

function expectSameTraining(what: string, gpu: History, wasm: History) {
  const show = JSON.stringify({ webgpu: gpu.map((r) => [r.train_loss, r.val_loss, r.val_f1]), wasm: wasm.map((r) => [r.train_loss, r.val_loss, r.val_f1]) });
  console.log(`      ${what}: ${show}`);
  expect(gpu.map((r) => r.epoch), show).to.deep.equal(wasm.map((r) => r.epoch));
  gpu.forEach((g, i) => {
    const w = wasm[i];
    for (const k of ['train_loss', 'val_loss']) expect(Math.abs(g[k] - w[k]) / Math.abs(w[k]), `${what} epoch ${g.epoch} ${k}: ${show}`).to.be.at.most(1e-3);
    for (const k of ['val_f1', 'val_accuracy']) expect(g[k], `${what} epoch ${g.epoch} ${k}: ${show}`).to.equal(w[k]);
  });
}

describe("webgpu: a short training run of quick.yaml's models reaches wasm's validation metrics", function () {
  this.timeout(900_000);

  it('cnn-trainer (quick.yaml settings at 32², 2 epochs of 2 steps)', async function () {
    await webgpuOrSkip(this);
    const data = await syntheticScans({ scans: 8, slices: [8, 12], size: 64, positive: 0.5, splits: { train: 0.5, validation: 0.5, test: 0 } }, 3);
    const params = { backbone: 'small', resolution: 32, embedding: 32, batch: 16, scansPerBatch: 4, epochs: 2, stepsPerEpoch: 2, lr: 0.001 };
    const inputs = () => ({ slices: memoryReader(data.slices), windows: memoryReader(data.windows) });
    expectSameTraining('cnn', await history(trainer, params, inputs, 'webgpu'), await history(trainer, params, inputs, 'wasm'));
  });

  const embeddings = syntheticEmbeddings({ scans: 24, dim: 16, validation: 8, signal: 6, seed: 'webgpu-training' });
  const sequences = (mode: 'lstm' | 'swin', length: number): RecordBatch[] => {
    const ctx = testContext({ mode, length, draws: 2 }, { seed: 5 });
    return embeddings.map((b) => (sequenceSampler.run as (c: typeof ctx, b: Outputs) => Outputs)(ctx, { embeddings: b }).sequences);
  };

  it('lstm (quick.yaml network: 2×bi-32 over 24 slices, 2 epochs)', async function () {
    await webgpuOrSkip(this);
    const seqs = sequences('lstm', 24);
    const params = { length: 24, hidden: 32, layers: 2, head: 16, epochs: 2, lr: 0.003 };
    const inputs = () => ({ embeddings: memoryReader(embeddings), sequences: memoryReader(seqs) });
    expectSameTraining('lstm', await history(lstm, params, inputs, 'webgpu'), await history(lstm, params, inputs, 'wasm'));
  });

  it('swin (quick.yaml network: small-cpu, patch 2, C 16, window 4 over 32 slices, 2 epochs)', async function () {
    await webgpuOrSkip(this);
    const seqs = sequences('swin', 32);
    const params = { length: 32, preset: 'small-cpu', patch: 2, dim: 16, depths: [2, 2], heads: [2, 4], window: 4, epochs: 2, lr: 0.003 };
    const inputs = () => ({ embeddings: memoryReader(embeddings), sequences: memoryReader(seqs) });
    expectSameTraining('swin', await history(swin, params, inputs, 'webgpu'), await history(swin, params, inputs, 'wasm'));
  });
});
