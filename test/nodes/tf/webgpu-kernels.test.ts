// The stock WebGPU backend's convolution, depthwise convolution and matmul kernels, forward and
// gradients, against the WebAssembly backend (with ctflow's wasm gradient kernels): max error
// relative to the largest value ≤ 1e-4. Runs where Dawn finds an adapter (lavapipe in CI).
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import type { TF } from '../../../nodes/kernels/tf/backend.js';
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

async function compare(name: string, fn: ReturnType<typeof withGrads>) {
  const [gpu, ref] = [await on('webgpu', fn), await on('wasm', fn)];
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
      compare('conv2d', withGrads((tf, x, w) => tf.conv2d(x as T4, w as T4, stride, pad), [2, 9, 9, 3], [3, 3, 3, 4])));
  }
  it('conv2d 1×1 (pointwise): forward, dx, dW', () =>
    compare('conv2d 1×1', withGrads((tf, x, w) => tf.conv2d(x as T4, w as T4, 1, 'same'), [2, 6, 6, 8], [1, 1, 8, 5])));
  for (const [k, stride, mult] of [[3, 1, 1], [3, 2, 1], [5, 2, 1], [3, 1, 2]] as const) {
    it(`depthwise ${k}×${k} stride ${stride} multiplier ${mult}: forward, dx, dW`, () =>
      compare('depthwise', withGrads((tf, x, w) => tf.depthwiseConv2d(x as T4, w as T4, stride, 'same'), [2, 9, 9, 4], [k, k, 4, mult])));
  }
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`matMul ${ta ? 'aᵀ' : 'a'}·${tb ? 'bᵀ' : 'b'}: forward and both gradients`, () =>
      compare('matMul', withGrads((tf, a, b) => tf.matMul(a as TFJS.Tensor2D, b as TFJS.Tensor2D, ta, tb), ta ? [7, 5] : [5, 7], tb ? [6, 7] : [7, 6])));
  }
  // (A broadcast batch, [3,4,5]·[5,6], is left out: tfjs-core's BatchMatMul gradient returns b's
  // gradient unreduced, [3,5,6], on every backend.)
  it('batched matMul [3,4,5]·[3,5,6]: forward and both gradients', () =>
    compare('batched matMul', withGrads((tf, a, b) => tf.matMul(a as TFJS.Tensor3D, b as TFJS.Tensor3D), [3, 4, 5], [3, 5, 6])));
});
