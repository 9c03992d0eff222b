// The WebGPU backend's convolution, depthwise convolution and matmul kernels (ctflow's WGSL ones,
// nodes/kernels/webgpu, where they cover the case), forward and gradients, against the WebAssembly
// backend (with ctflow's wasm gradient kernels): max error relative to the largest value ≤ 1e-4,
// and the number of ctflow programs that ran (so a silent fallback to the stock kernel fails).
// Runs where Dawn finds an adapter (lavapipe in CI).
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { fusedRecurrence } from '../../../nodes/kernels/seq/lstm-kernel.js';
import { windowAttention } from '../../../nodes/kernels/seq/swin-attention.js';
import { adamState, adamUpdate } from '../../../nodes/kernels/train/adam.js';
import { useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { countWebgpu } from '../../../nodes/kernels/tf/webgpu-counters.js';
import { on, relErr, webgpuOrSkip } from './webgpu-env.js';

type T4 = TFJS.Tensor4D;
const TOL = 1e-4;
const values = (label: string, n: number) => {
  const rng = rngFrom(label);
  return Float32Array.from({ length: n }, () => 2 * rng() - 1);
};
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The op's output and the gradients of Σ op(x, w)·r with respect to x and w. */
function withGrads(op: (tf: TF, x: TFJS.Tensor, w: TFJS.Tensor) => TFJS.Tensor, xs: number[], ws: number[]) {
  return (tf: TF) => {
    const x = tf.tensor(values('x', size(xs)), xs), w = tf.tensor(values('w', size(ws)), ws);
    const y = op(tf, x, w);
    const r = tf.tensor(values('r', y.size), y.shape);
    const [dx, dw] = tf.grads((a: TFJS.Tensor, b: TFJS.Tensor) => tf.sum(tf.mul(op(tf, a, b), r)))([x, w]);
    return [y, dx, dw];
  };
}

/** Compare webgpu with wasm; `ours`: how many ctflow programs at least must have run on webgpu. */
async function compare(name: string, fn: ReturnType<typeof withGrads>, ours: number) {
  const counter = countWebgpu((await useBackend('webgpu')).tf);
  const gpu = await on('webgpu', fn);
  expect(counter.stop().ctflowDispatches, `${name}: ctflow kernels that ran`).to.be.at.least(ours);
  const ref = await on('wasm', fn);
  ['forward', 'dx', 'dw'].forEach((part, i) => {
    expect(gpu[i].length, `${name} ${part} size`).to.equal(ref[i].length);
    expect(relErr(gpu[i], ref[i]), `${name} ${part}`).to.be.at.most(TOL);
  });
}

describe('webgpu kernels equal wasm (forward and gradients, rel. err ≤ 1e-4)', function () {
  this.timeout(300_000);
  before(async function () { await webgpuOrSkip(this); });

  for (const [stride, pad] of [[1, 'same'], [2, 'same'], [2, 'valid'], [1, 'valid']] as const) {
    it(`conv2d 3×3 stride ${stride} ${pad}: forward, dx, dW`, () =>
      compare('conv2d', withGrads((tf, x, w) => tf.conv2d(x as T4, w as T4, stride, pad), [2, 9, 9, 3], [3, 3, 3, 4]), 3));
  }
  it('conv2d 1×1 (pointwise): forward, dx, dW', () =>
    compare('conv2d 1×1', withGrads((tf, x, w) => tf.conv2d(x as T4, w as T4, 1, 'same'), [2, 6, 6, 8], [1, 1, 8, 5]), 3));
  it('conv2d 3×3 over a long batch (the filter gradient split over workgroups): forward, dx, dW', () =>
    compare('conv2d split-K', withGrads((tf, x, w) => tf.conv2d(x as T4, w as T4, 1, 'same'), [4, 24, 24, 3], [3, 3, 3, 8]), 4));
  it('conv2d 5×5 stride 2 with 40 output channels (several tiles): forward, dx, dW', () =>
    compare('conv2d 5×5', withGrads((tf, x, w) => tf.conv2d(x as T4, w as T4, 2, 'same'), [1, 11, 11, 6], [5, 5, 6, 40]), 3));
  for (const [k, stride, mult] of [[3, 1, 1], [3, 2, 1], [5, 2, 1], [3, 1, 2]] as const) {
    it(`depthwise ${k}×${k} stride ${stride} multiplier ${mult}: forward, dx, dW`, () =>
      compare('depthwise', withGrads((tf, x, w) => tf.depthwiseConv2d(x as T4, w as T4, stride, 'same'), [2, 9, 9, 4], [k, k, 4, mult]), 3));
  }
  it('depthwise 3×3 stride 2 valid over 24 channels, batch 3 (many workgroups, split filter gradient): forward, dx, dW', () =>
    compare('depthwise valid', withGrads((tf, x, w) => tf.depthwiseConv2d(x as T4, w as T4, 2, 'valid'), [3, 12, 12, 24], [3, 3, 24, 1]), 3));
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`matMul ${ta ? 'aᵀ' : 'a'}·${tb ? 'bᵀ' : 'b'}: forward and both gradients`, () =>
      compare('matMul', withGrads((tf, a, b) => tf.matMul(a as TFJS.Tensor2D, b as TFJS.Tensor2D, ta, tb), ta ? [7, 5] : [5, 7], tb ? [6, 7] : [7, 6]), 3));
  }
  it('matMul [70,45]·[45,40] (several tiles, ragged edges): forward and both gradients', () =>
    compare('matMul tiles', withGrads((tf, a, b) => tf.matMul(a as TFJS.Tensor2D, b as TFJS.Tensor2D), [70, 45], [45, 40]), 3));
  it('matMul aᵀ·b with K = 3000 (split over workgroups, summed): forward and both gradients', () =>
    compare('matMul split-K', withGrads((tf, a, b) => tf.matMul(a as TFJS.Tensor2D, b as TFJS.Tensor2D, true, false), [3000, 5], [3000, 6]), 4));
  it('matMul of 2.1 M rows (65 625 row tiles: beyond the 65 535-workgroup limit they continue in z): forward and both gradients', () =>
    compare('matMul 2.1 M rows', withGrads((tf, a, b) => tf.matMul(a as TFJS.Tensor2D, b as TFJS.Tensor2D), [2_100_000, 1], [1, 2]), 3));
  it('fused matMul + bias + relu: forward and gradients', () =>
    compare('fused', withGrads((tf, a, b) => tf.fused.matMul({ a: a as TFJS.Tensor2D, b: b as TFJS.Tensor2D, bias: tf.linspace(-0.5, 0.5, 6), activation: 'relu' }), [5, 7], [7, 6]), 1));
  // (A broadcast batch, [3,4,5]·[5,6], is left out: tfjs-core's BatchMatMul gradient returns b's
  // gradient unreduced, [3,5,6], on every backend.)
  it('batched matMul [3,4,5]·[3,5,6]: forward and both gradients', () =>
    compare('batched matMul', withGrads((tf, a, b) => tf.matMul(a as TFJS.Tensor3D, b as TFJS.Tensor3D), [3, 4, 5], [3, 5, 6]), 3));
  it('matMul broadcast of b over a batch: forward and a\'s gradient', () =>
    compare('broadcast matMul', (tf) => {
      const a = tf.tensor(values('a', 60), [3, 4, 5]), b = tf.tensor(values('b', 30), [5, 6]);
      return [tf.matMul(a, b), tf.grad((t: TFJS.Tensor) => tf.sum(tf.matMul(t, b)))(a), tf.sum(tf.matMul(a, b), 0)];
    }, 2));
  it('bi-LSTM recurrence (fused: one product and one cell program per step), padded rows: y and the gradients of p, bias, W_hh both ways', async () => {
    const [B, T, H] = [3, 5, 8];
    const lengths = [5, 3, 4];
    const fn = (tf: TF) => {
      const p = tf.tensor(values('p', B * T * 8 * H), [B, T, 8 * H]), bias = tf.tensor(values('bias', 8 * H), [8 * H]);
      const [wf, wb] = ['wf', 'wb'].map((l) => tf.tensor(values(l, H * 4 * H).map((v) => 0.5 * v), [H, 4 * H]));
      const rec = (...a: TFJS.Tensor[]) => fusedRecurrence(tf, a[0], a[1], a[2], a[3], lengths);
      const r = tf.tensor(values('r', B * T * 2 * H), [B, T, 2 * H]);
      return [rec(p, bias, wf, wb), ...tf.grads((...a: TFJS.Tensor[]) => tf.sum(tf.mul(rec(...a), r)))([p, bias, wf, wb])];
    };
    const counter = countWebgpu((await useBackend('webgpu')).tf);
    const gpu = await on('webgpu', fn);
    expect(counter.stop().ctflowDispatches, 'ctflow programs: 2 per step forward and backward').to.be.at.least(4 * T);
    const ref = await on('wasm', fn);
    ['y', 'dp', 'dbias', 'dW_hh forward', 'dW_hh backward'].forEach((part, i) => {
      expect(gpu[i].length, `lstm ${part} size`).to.equal(ref[i].length);
      expect(relErr(gpu[i], ref[i]), `lstm ${part}`).to.be.at.most(TOL);
    });
  });
  it('window attention (2 images × 4 windows of 9 tokens, 2 heads of 4, shift mask): output and the gradients of qkv and the bias', async () => {
    const [G, N, heads, windows, C] = [8, 9, 2, 4, 8];
    const fn = (tf: TF) => {
      const qkv = tf.tensor(values('qkv', G * N * 3 * C), [G * N, 3 * C]), bias = tf.tensor(values('attn-bias', heads * N * N), [heads, N, N]);
      const mask = tf.tensor(values('mask', windows * N * N).map((v) => (v > 0.3 ? -100 : 0)), [windows, 1, N, N]);
      const att = (x: TFJS.Tensor, b: TFJS.Tensor) => windowAttention(tf, x, b, mask, { windows, tokens: N, heads });
      const r = tf.tensor(values('r', G * N * C), [G * N, C]);
      return [att(qkv, bias), ...tf.grads((x: TFJS.Tensor, b: TFJS.Tensor) => tf.sum(tf.mul(att(x, b), r)))([qkv, bias])];
    };
    const counter = countWebgpu((await useBackend('webgpu')).tf);
    const gpu = await on('webgpu', fn);
    expect(counter.stop().ctflowDispatches, 'ctflow programs: 2 forward, 3 backward').to.be.at.least(5);
    const ref = await on('wasm', fn);
    ['output', 'dqkv', 'dbias'].forEach((part, i) => {
      expect(gpu[i].length, `attention ${part} size`).to.equal(ref[i].length);
      expect(relErr(gpu[i], ref[i]), `attention ${part}`).to.be.at.most(TOL);
    });
  });
  it('Adam (coupled weight decay), two steps of two tensors: parameters and both moments', async () => {
    const o = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 };
    const run = async (backend: string) => {
      const { tf } = await useBackend(backend);
      const params = new Map([['a', tf.tensor(values('adam-a', 30), [5, 6])], ['b', tf.tensor(values('adam-b', 7), [7])]]);
      const s = adamState();
      for (const step of [1, 2]) {
        const grads = new Map([...params].map(([n, t]) => [n, tf.tensor(values(`adam-g${step}${n}`, t.size), t.shape)]));
        adamUpdate(tf, o, s, params, grads);
        tf.dispose([...grads.values()]);
      }
      const out = await Promise.all([...params.values(), ...s.m.values(), ...s.v.values()].map(async (t) => Float32Array.from(await t.data())));
      tf.dispose([...params.values(), ...s.m.values(), ...s.v.values()]);
      return out;
    };
    const counter = countWebgpu((await useBackend('webgpu')).tf);
    const gpu = await run('webgpu');
    expect(counter.stop().ctflowDispatches, 'CtflowAdam: 3 programs per tensor and step').to.equal(12);
    const ref = await run('wasm');
    gpu.forEach((g, i) => expect(relErr(g, ref[i]), `adam output ${i}`).to.be.at.most(TOL));
  });
});
