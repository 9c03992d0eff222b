// cnn-trainer through run(): reproducible weights on WebAssembly, resume from a checkpoint after a
// kill, the best epoch's weights as the output, live tensors level across epochs, input errors.
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import type { NodeContext, Outputs } from '../../../engine/types.js';
import trainer, { cnnConfig, type CnnTrainerParams } from '../../../nodes/cnn-trainer.js';
import { initialWeights, paramSpecs, architecture } from '../../../nodes/kernels/cnn/architecture.js';
import { createModel, disposeModel } from '../../../nodes/kernels/cnn/model.js';
import { SliceSource, scanIndex } from '../../../nodes/kernels/cnn/sampling.js';
import { train } from '../../../nodes/kernels/cnn/train.js';
import { liveTensors, useBackend } from '../../../nodes/kernels/tf/backend.js';
import { batchToEntries } from '../../../nodes/kernels/tf/weights.js';
import { Windows } from '../../../nodes/tables.js';
import { testContext } from '../../helpers/context.js';
import { memoryReader } from '../../helpers/samples.js';
import { syntheticScans, type ScanTables } from './data.js';

const base: CnnTrainerParams = {
  backbone: 'small', width: 0.25, depth: null, resolution: 32, embedding: 8, hu: [-1150, 350], fit: 'stretch',
  batch: 4, scansPerBatch: 2, epochs: 3, patience: 5, stepsPerEpoch: 3, lr: 1e-3, weightDecay: 5e-4, warmStart: null,
};

async function run(ctx: NodeContext<CnnTrainerParams>, data: ScanTables): Promise<Outputs> {
  if (trainer.mode !== 'barrier') throw new Error('cnn-trainer must be a barrier kind');
  const out: Outputs[] = [];
  for await (const o of trainer.run(ctx, { slices: memoryReader(data.slices), windows: memoryReader(data.windows) })) out.push(o);
  expect(out).to.have.length(1);
  return out[0];
}

const bytes = (b: RecordBatch) => Buffer.concat(batchToEntries(b).map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)));
const rows = (b: RecordBatch) => b.toArray().map((r) => r.toJSON() as Record<string, number | null>);
const errorOf = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);

describe('cnn-trainer', function () {
  this.timeout(60_000);
  let data: ScanTables;
  before(async () => {
    data = await syntheticScans({ scans: 10, slices: [8, 12], size: 64, positive: 0.5, splits: { train: 0.6, validation: 0.4, test: 0 } }, 5);
  });

  it('trains to byte-identical weights twice on wasm, others with another seed; the model table carries its config', async () => {
    const onWasm = (seed: number) => ({ ...testContext({ ...base }, { seed }), backend: 'wasm' });
    const [ctxA, ctxB] = [onWasm(1), onWasm(1)];
    const a = await run(ctxA, data);
    const b = await run(ctxB, data);
    const c = await run(onWasm(2), data);
    expect(ctxA.notes.backend).to.equal('wasm');
    expect(bytes(a.model).equals(bytes(b.model))).to.equal(true);
    expect(bytes(a.model).equals(bytes(c.model))).to.equal(false);
    const config = batchToEntries(a.model).find((e) => e.name === 'ctflow.cnn.config')!;
    expect(JSON.parse(new TextDecoder().decode(Uint8Array.from(config.data)))).to.deep.include({ format: 'ctflow-cnn/1', ...cnnConfig(base) });
    const h = rows(a.history);
    expect(h.map((r) => r.epoch)).to.deep.equal([1, 2, 3]);
    expect(h.every((r) => r.val_f1 !== null && r.val_accuracy !== null && r.val_loss !== null)).to.equal(true);
  });

  it('microbatch: passes on 2 and 3 threads (worker replicas) give the bytes of 1 thread: weights, running statistics, history', async () => {
    const params = { ...base, microbatch: 2 };
    const runs = [];
    for (const threads of [1, 2, 3]) {
      const ctx = { ...testContext({ ...params }, { seed: 1, threads }), backend: 'wasm' };
      runs.push({ ctx, out: await run(ctx, data) });
    }
    // batch 4 in passes of 2: 2 passes, so at most 2 threads
    expect(runs.map((r) => r.ctx.notes.threads)).to.deep.equal([1, 2, 2]);
    for (const r of runs.slice(1)) {
      expect(bytes(r.out.model).equals(bytes(runs[0].out.model))).to.equal(true);
      const strip = (b: RecordBatch) => rows(b).map(({ seconds: _, ...rest }) => rest);
      expect(strip(r.out.history)).to.deep.equal(strip(runs[0].out.history));
    }
    const whole = await run({ ...testContext({ ...base }, { seed: 1 }), backend: 'wasm' }, data);
    expect(bytes(whole.model).equals(bytes(runs[0].out.model))).to.equal(false);
  });

  it('resumes a run killed after epoch 2 from its checkpoint, to the weights of an uninterrupted run', async () => {
    const whole = await run(testContext({ ...base }, { seed: 1 }), data);
    const abort = new AbortController();
    const first = testContext({ ...base }, { seed: 1 });
    const killed = { ...first, signal: abort.signal, progress: (epoch: number) => { if (epoch === 2) abort.abort(new Error('killed')); } };
    expect(await errorOf(run(killed, data))).to.equal('killed');
    const again = { ...testContext({ ...base }, { seed: 1 }), checkpoints: first.checkpoints };
    const resumed = await run(again, data);
    expect(again.notes.resumed_after_epoch).to.equal(2);
    expect(bytes(resumed.model).equals(bytes(whole.model))).to.equal(true);
    const noSeconds = (b: RecordBatch) => rows(b).map(({ seconds: _s, ...r }) => r);
    expect(noSeconds(resumed.history)).to.deep.equal(noSeconds(whole.history));
  });

  it('outputs the best epoch: a run stopped at that epoch has the same weights; early stopping honours patience', async () => {
    const long = { ...base, epochs: 6, patience: 2, lr: 3e-3 };
    const full = await run(testContext(long, { seed: 3 }), data);
    const h = rows(full.history);
    const best = h.find((r) => r.best === 1)!;
    expect(h.filter((r) => r.best === 1)).to.have.length(1);
    for (const r of h) expect(r.val_f1! < best.val_f1! || (r.val_f1 === best.val_f1 && r.val_loss! >= best.val_loss!), `epoch ${r.epoch}`).to.equal(true);
    expect(h.length).to.be.at.most(best.epoch! + long.patience);
    if (h.length < long.epochs) expect(h.length, 'stopped after `patience` epochs without improvement').to.equal(best.epoch! + long.patience);
    const upTo = await run(testContext({ ...long, epochs: best.epoch! }, { seed: 3 }), data);
    expect(bytes(upTo.model).equals(bytes(full.model))).to.equal(true);
  });

  it('keeps the number of live tensors level from epoch to epoch and leaves none behind', async () => {
    const { tf } = await useBackend('wasm');
    const cfg = cnnConfig(base);
    const metas = await scanIndex(memoryReader(data.windows), memoryReader(data.slices), 'test');
    const before = liveTensors(tf);
    const model = createModel(tf, cfg, initialWeights(paramSpecs(architecture(cfg)), () => 0.5));
    const counts: number[] = [];
    const ctx = testContext({});
    await train(tf, model, { source: new SliceSource(memoryReader(data.slices), cfg, 'test'), train: metas.filter((m) => m.split === 'train'), validation: metas.filter((m) => m.split === 'validation') },
      { batch: 4, scansPerBatch: 2, epochs: 4, patience: 9, stepsPerEpoch: 2, adam: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 } },
      { rngFor: ctx.rngFor, checkpoints: null, signal: ctx.signal, progress: () => {}, log: () => {}, afterEpoch: () => { counts.push(liveTensors(tf)); } });
    expect(counts).to.have.length(4);
    expect(new Set(counts).size, `live tensors after each epoch: ${counts}`).to.equal(1);
    disposeModel(model);
    expect(liveTensors(tf)).to.equal(before);
  });

  it('trains without validation scans (last epoch out, no F1) and says what is wrong with bad inputs', async () => {
    const trainOnly = { slices: data.slices, windows: data.windows.map((w) => relabel(w, { split: 'train' })) };
    const ctx = testContext({ ...base, epochs: 2 }, { seed: 1 });
    const out = await run(ctx, trainOnly);
    expect(rows(out.history).map((r) => [r.val_f1, r.best])).to.deep.equal([[null, 0], [null, 1]]);
    const noTrain = { slices: data.slices, windows: data.windows.map((w) => relabel(w, { split: 'test' })) };
    expect(await errorOf(run(testContext({ ...base }), noTrain))).to.match(/cnn-trainer node "node": no training scan .* give some scans split "train"/);
    const unlabelled = { slices: data.slices, windows: data.windows.map((w) => relabel(w, { label: null })) };
    expect(await errorOf(run(testContext({ ...base }), unlabelled))).to.match(/(train|validation) scan "syn-0000" has label null/);
    expect(await errorOf(run(testContext({ ...base, hu: [350, -1150] }), data))).to.include('params.hu [350,-1150] must be [low, high]');
    expect(await errorOf(run(testContext({ ...base, warmStart: '/nonexistent/b3a.safetensors' }), data))).to.include('params.warmStart "/nonexistent/b3a.safetensors" cannot be read');
  });
});

/** A windows row with some columns replaced. */
function relabel(w: RecordBatch, change: { split?: string; label?: number | null }): RecordBatch {
  const r = w.toArray()[0].toJSON() as Record<string, unknown>;
  return makeBatch(Windows, Object.fromEntries(Windows.schema.fields.map((f) => [f.name, [f.name in change ? change[f.name as keyof typeof change] : r[f.name]]])));
}
