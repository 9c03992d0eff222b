// Data-parallel CNN training steps (nodes/kernels/cnn/passes.ts, train-replicas.ts): the passes
// (microbatch) are the same on any thread count, so with 2 and 3 threads the parameters and running
// statistics after two steps have the bytes of the one-thread steps, and two runs on 2 threads are
// byte-identical. Each pass normalises with its own BatchNorm statistics, so a split step equals the
// whole-batch step where every pass sees the same images as the whole batch: checked on a batch whose
// slices come in identical pairs (pass 0 takes slices 0, 2, 4, …, pass 1 slices 1, 3, 5, …).
import { expect } from 'chai';
import { rngFrom } from '../../../engine/rng.js';
import { architecture, initialWeights, paramSpecs, PRESETS, type CnnConfig } from '../../../nodes/kernels/cnn/architecture.js';
import { createModel, disposeModel } from '../../../nodes/kernels/cnn/model.js';
import { passesStep, passIndices } from '../../../nodes/kernels/cnn/passes.js';
import { TrainReplicas } from '../../../nodes/kernels/cnn/train-replicas.js';
import { flatAdamState } from '../../../nodes/kernels/train/adam.js';
import { liveTensors, useBackend } from '../../../nodes/kernels/tf/backend.js';

const R = 64, B = 6, steps = 2;
const cfg: CnnConfig = { backbone: 'small', ...PRESETS.small, width: 0.25, resolution: R, embedding: 8, hu: [-1150, 350], fit: 'stretch' };
// eps 1: Adam's steps are about lr·gradient, so that last-bit gradient differences are not amplified
const opt = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1, weightDecay: 5e-4 };

/** The parameters (running statistics included) after `steps` steps of `x`, `y` in passes of `micro` on `threads` threads, by name. */
async function train(x: Float32Array, y: Float32Array, threads: number, micro: number): Promise<{ values: Map<string, Float32Array>; losses: number[] }> {
  const { tf } = await useBackend('wasm');
  const m = createModel(tf, cfg, initialWeights(paramSpecs(architecture(cfg)), rngFrom('cnn-threads')));
  const state = flatAdamState();
  const replicas = threads > 1 ? await TrainReplicas.start(cfg, 'wasm', threads) : undefined;
  try {
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = await passesStep(tf, m, opt, state, x, y, micro, replicas);   // one pass leaves it a tensor
      losses.push(typeof loss === 'number' ? loss : (await loss.data())[0]);
      if (typeof loss !== 'number') loss.dispose();
    }
    const values = new Map(await Promise.all(m.specs.map(async (sp) => [sp.name, (await m.params.get(sp.name)!.data()) as Float32Array] as const)));
    return { values, losses };
  } finally {
    await replicas?.close();
    tf.dispose([state.m!, state.v!]);
    disposeModel(m);
  }
}

const bytes = (r: { values: Map<string, Float32Array> }) => Buffer.concat([...r.values.values()].map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)));

function batch(n: number, pairs: boolean): { x: Float32Array; y: Float32Array } {
  const rng = rngFrom('cnn-threads:x');
  const x = new Float32Array(n * R * R);
  for (let i = 0; i < n; i++) {
    if (pairs && i % 2) x.copyWithin(i * R * R, (i - 1) * R * R, i * R * R);
    else for (let k = 0; k < R * R; k++) x[i * R * R + k] = rng();
  }
  return { x, y: Float32Array.from({ length: n }, (_, i) => (pairs ? (i >> 1) % 2 : i % 2)) };
}

describe('data-parallel CNN steps in worker threads', function () {
  this.timeout(300_000);

  it('passes are strided over the batch, sizes differing by at most one', () => {
    expect([0, 1, 2].map((p) => passIndices(7, 3, p))).to.deep.equal([[0, 3, 6], [1, 4], [2, 5]]);
    expect([0, 1].map((p) => passIndices(16, 2, p).length)).to.deep.equal([8, 8]);
  });

  it('passes of 2 on 2 and 3 threads, and of 1 on 2, = on 1 thread byte for byte (weights and running statistics), repeat byte for byte', async () => {
    const { tf } = await useBackend('wasm');
    const before = liveTensors(tf);
    const { x, y } = batch(B, false);
    const one = await train(x, y, 1, 2);
    const two = await train(x, y, 2, 2);
    const twoAgain = await train(x, y, 2, 2);
    const three = await train(x, y, 3, 2);
    expect(bytes(two).equals(bytes(one))).to.equal(true);
    expect(bytes(two).equals(bytes(twoAgain))).to.equal(true);
    expect(bytes(three).equals(bytes(one))).to.equal(true);
    expect(three.losses).to.deep.equal(one.losses);
    // six passes on 2 threads: the replica takes passes 1, 3 and 5, queued at once, answered in order
    expect(bytes(await train(x, y, 2, 1)).equals(bytes(await train(x, y, 1, 1)))).to.equal(true);
    // and the split is not the whole batch: per-pass BatchNorm changes the step
    const whole = await train(x, y, 1, B);
    expect(bytes(whole).equals(bytes(one))).to.equal(false);
    expect(liveTensors(tf)).to.equal(before);
  });

  it('a batch of identical pairs in 2 passes (on 2 threads) takes the whole-batch step within float tolerance', async () => {
    const { x, y } = batch(8, true);
    const split = await train(x, y, 2, 4);
    const whole = await train(x, y, 1, 8);
    split.losses.forEach((l, i) => expect(Math.abs(l - whole.losses[i])).to.be.below(1e-5));
    let compared = 0;
    for (const [name, t] of whole.values) {
      // running variances differ by the unbiased correction's count (a pass's, not the batch's): left out
      if (name.endsWith('running_var')) continue;
      // |Δ| against the tensor's scale, at least 1: a bias whose gradient the next BatchNorm cancels moves by rounding alone
      const got = split.values.get(name)!;
      let diff = 0, scale = 1;
      t.forEach((v, i) => { diff = Math.max(diff, Math.abs(got[i] - v)); scale = Math.max(scale, Math.abs(v)); });
      expect(diff / scale, name).to.be.below(1e-5);
      compared++;
    }
    expect(compared).to.be.greaterThan(100);
  });
});
