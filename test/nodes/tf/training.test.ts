// Seeded training on the WebAssembly backend and model weights as Arrow tables.
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { tableFromIPC, tableToIPC, Table } from '../../../engine/arrow.js';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { liveTensors, useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { seeder } from '../../../nodes/kernels/tf/seed.js';
import { batchToEntries, entriesToBatch, loadWeightsInto, weightsToBatch } from '../../../nodes/kernels/tf/weights.js';
import { Weights } from '../../../nodes/tables.js';

let tf: TF;

/** Two conv layers and a dense head, every initializer seeded from `seed`. */
function tinyModel(seed: string, filters = 4): TFJS.LayersModel {
  const s = seeder(tf, seed);
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'c1', inputShape: [8, 8, 1], filters, kernelSize: 3, activation: 'relu', kernelInitializer: s.init('heNormal') }),
      tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: s.init('heNormal') }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ name: 'out', units: 1, activation: 'sigmoid', kernelInitializer: s.init('glorotUniform') }),
    ],
  });
}

/** Fixed data: 6 images and labels from the project's seeded generator. */
function data(): { x: TFJS.Tensor; y: TFJS.Tensor } {
  const rng = rngFrom('training-data');
  return {
    x: tf.tensor4d(Float32Array.from({ length: 6 * 64 }, () => rng()), [6, 8, 8, 1]),
    y: tf.tensor2d([1, 0, 0, 1, 1, 0], [6, 1]),
  };
}

/** Train 3 Adam steps; returns the weights table and the live tensor count after each step. */
async function train(seed: string): Promise<{ weights: RecordBatch; counts: number[] }> {
  const model = tinyModel(seed);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  const { x, y } = data();
  const counts: number[] = [];
  for (let step = 0; step < 3; step++) {
    await model.trainOnBatch(x, y);
    counts.push(liveTensors(tf));
  }
  const weights = await weightsToBatch(model);
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return { weights, counts };
}

const bytesOf = (b: RecordBatch) => Buffer.concat(batchToEntries(b).map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)));

describe('seeded training and weights tables', function () {
  this.timeout(30_000);
  before(async () => {
    ({ tf } = await useBackend('wasm'));
  });

  it('trains a conv model on wasm to byte-identical weights with the same seed, other weights with another', async () => {
    const a = await train('seed-1');
    const b = await train('seed-1');
    const c = await train('seed-2');
    expect(bytesOf(a.weights).equals(bytesOf(b.weights))).to.equal(true);
    expect(bytesOf(a.weights).equals(bytesOf(c.weights))).to.equal(false);
    // the steps moved the weights away from the seeded initial values
    const init = tinyModel('seed-1');
    expect(bytesOf(await weightsToBatch(init)).equals(bytesOf(a.weights))).to.equal(false);
    init.dispose();
    // no tensor left behind from one step to the next
    expect(new Set(a.counts).size, `live tensors per step ${a.counts}`).to.equal(1);
  });

  it('gives each initializer its own seed', async () => {
    const s = seeder(tf, 'x');
    const [w1, w2] = [s.init('heNormal'), s.init('heNormal')].map((i) => i.apply([3, 3]));
    expect(Array.from(await w1.data())).to.not.deep.equal(Array.from(await w2.data()));
    tf.dispose([w1, w2]);
  });

  it('writes a Weights table that survives Arrow IPC and loads into a fresh model of the same architecture', async () => {
    const source = tinyModel('from');
    const batch = await weightsToBatch(source);
    expect(batch.schema.fields.map((f) => `${f.name}: ${f.type}`)).to.deep.equal(Weights.schema.fields.map((f) => `${f.name}: ${f.type}`));
    expect(batch.getChild('name')!.toArray()).to.deep.equal(['c1/kernel', 'c1/bias', 'c2/kernel', 'c2/bias', 'out/kernel', 'out/bias']);
    expect(Array.from(batch.getChild('shape')!.get(0) as Iterable<number>)).to.deep.equal([3, 3, 1, 4]);
    const reread = tableFromIPC(tableToIPC(new Table(batch))).batches[0];
    const target = tinyModel('to');
    expect(bytesOf(await weightsToBatch(target)).equals(bytesOf(batch))).to.equal(false);
    await loadWeightsInto(target, reread);
    expect(bytesOf(await weightsToBatch(target)).equals(bytesOf(batch))).to.equal(true);
    source.dispose();
    target.dispose();
  });

  it('stores named float32 and int32 tensors', async () => {
    const f = tf.tensor2d([[1.5, -2], [0.25, 8]]);
    const i = tf.tensor1d([7, -3, 2 ** 30], 'int32');
    const entries = batchToEntries(await weightsToBatch({ f, i }));
    expect(entries.map((e) => [e.name, e.shape, e.dtype, Array.from(e.data)])).to.deep.equal([
      ['f', [2, 2], 'float32', [1.5, -2, 0.25, 8]],
      ['i', [3], 'int32', [7, -3, 2 ** 30]],
    ]);
    tf.dispose([f, i]);
  });

  it('refuses a table that does not fit, naming the missing, extra and mismatched tensors', async () => {
    const source = tinyModel('a', 8);
    const rows = batchToEntries(await weightsToBatch(source)).filter((e) => e.name !== 'c2/bias');
    rows.push({ name: 'head/kernel', shape: [2], dtype: 'float32', data: new Float32Array(2) });
    const target = tinyModel('b');
    const err = await loadWeightsInto(target, entriesToBatch(rows), 'cnn weights').then(() => null, (e: Error) => e);
    expect(err?.message).to.include('cnn weights does not fit the model')
      .and.include('missing from the table: c2/bias')
      .and.include('not in the model: head/kernel')
      .and.include('c1/kernel is [3,3,1,8] in the table but [3,3,1,4] in the model');
    source.dispose();
    target.dispose();
  });

  it('refuses rows whose byte count does not match the shape, naming the tensor', () => {
    const batch = entriesToBatch([{ name: 'w', shape: [2, 3], dtype: 'float32', data: new Float32Array(5) }]);
    expect(() => batchToEntries(batch, 'run-7 weights')).to.throw('run-7 weights: tensor "w" has 20 bytes but shape [2,3] needs 24');
  });
});
