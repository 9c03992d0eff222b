// The hand-written backward pass (nodes/kernels/cnn/ops.ts, tape.ts) against TensorFlow.js's own
// gradients of the same network written with plain ops, on the CPU and WebAssembly backends.
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { architecture, BN_EPS, initialWeights, paramSpecs, type Block } from '../../../nodes/kernels/cnn/architecture.js';
import { forward } from '../../../nodes/kernels/cnn/efficientnet.js';
import { Tape } from '../../../nodes/kernels/cnn/tape.js';
import { liveTensors, useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';

type T4 = TFJS.Tensor4D;

/** The network with plain TensorFlow.js ops and autodiff (BatchNorm from tf.moments). */
function reference(tf: TF, arch: ReturnType<typeof architecture>, p: Map<string, TFJS.Tensor>, x: T4): TFJS.Tensor {
  const g = (n: string) => p.get(n)! as T4;
  const swish = (z: TFJS.Tensor) => tf.mul(z, tf.sigmoid(z));
  const bn = (h: TFJS.Tensor, n: string, act: boolean) => {
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    const z = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, BN_EPS))), g(`${n}.weight`)), g(`${n}.bias`));
    return act ? swish(z) : z;
  };
  const pad = (k: number) => [[0, 0], [(k - 1) >> 1, (k - 1) >> 1], [(k - 1) >> 1, (k - 1) >> 1], [0, 0]] as [[0, 0], [number, number], [number, number], [0, 0]];
  const conv = (h: TFJS.Tensor, n: string, s = 1) => tf.conv2d(h as T4, g(`${n}.weight`), s, pad(g(`${n}.weight`).shape[0]));
  const dense = (v: TFJS.Tensor, n: string) => tf.add(tf.matMul(v as TFJS.Tensor2D, tf.reshape(g(`${n}.weight`), [-1, g(`${n}.bias`).shape[0]]) as TFJS.Tensor2D), g(`${n}.bias`));
  const block = (h: TFJS.Tensor, b: Block) => {
    let y = h;
    let i = 1;
    if (b.expand) y = bn(conv(y, `${b.name}.conv_pw`), `${b.name}.bn${i++}`, true);
    y = bn(tf.depthwiseConv2d(y as T4, g(`${b.name}.conv_dw.weight`), b.stride, pad(b.kernel)), `${b.name}.bn${i++}`, true);
    const gate = tf.sigmoid(dense(swish(dense(tf.mean(y, [1, 2]), `${b.name}.se.conv_reduce`)), `${b.name}.se.conv_expand`));
    y = tf.mul(y, tf.reshape(gate, [gate.shape[0], 1, 1, -1]));
    y = bn(conv(y, `${b.name}.${b.expand ? 'conv_pwl' : 'conv_pw'}`), `${b.name}.bn${i}`, false);
    return b.residual ? tf.add(y, h) : y;
  };
  let h = bn(conv(x, 'conv_stem', 2), 'bn1', true);
  for (const b of arch.blocks) h = block(h, b);
  h = bn(conv(h, 'conv_head'), 'bn2', true);
  return tf.reshape(dense(dense(tf.mean(h, [1, 2]), 'embedding'), 'head'), [-1]);
}

async function compare(backend: string) {
  const { tf } = await useBackend(backend);
  // width 0.25 and depth 0.4: every kind of block (first stage, expansion, strides 1 and 2, kernels 3 and 5, residuals) at 32².
  const arch = architecture({ width: 0.25, depth: 0.4, embedding: 6 });
  expect(arch.blocks.some((b) => b.residual)).to.equal(true);
  const specs = paramSpecs(arch);
  const params = new Map(initialWeights(specs, rngFrom('grad-check')).map((e) => [e.name, tf.tensor(e.data, e.shape)]));
  const rng = rngFrom('grad-input');
  const x = tf.tensor4d(Float32Array.from({ length: 4 * 32 * 32 }, () => rng()), [4, 32, 32, 1]);
  const w = tf.tensor1d([0.3, -1.2, 0.7, 2.0]);          // an arbitrary linear loss Σ w·logit
  const trainable = specs.filter((s) => !s.name.includes('running')).map((s) => s.name);
  const want = tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads(() => tf.sum(tf.mul(reference(tf, arch, params, x), w)) as TFJS.Scalar)(trainable.map((n) => params.get(n)!));
    return [value, ...grads];
  });
  const before = liveTensors(tf);
  const tape = new Tape(tf);
  const stats: { mean: TFJS.Tensor; variance: TFJS.Tensor }[] = [];
  const value = tf.tidy(() => tf.sum(tf.mul(forward(tf, arch, params, x, tape, stats as never).logit, w)));
  tape.backward(tf.reshape(w, [4, 1]));
  const got = [value, ...trainable.map((n) => tape.grads.get(n)!)];
  const worst = { name: '', err: 0 };
  for (let i = 0; i < got.length; i++) {
    const [a, b] = [await got[i].data(), await want[i].data()];
    // Biases of a BatchNorm that feeds another one through a linear layer have gradient 0 (up to rounding).
    const scale = Math.max(1e-2, ...Array.from(b, Math.abs));
    const err = Math.max(...Array.from(a, (v, k) => Math.abs(v - b[k]))) / scale;
    expect(got[i].shape, trainable[i - 1]).to.deep.equal(want[i].shape);
    if (err > worst.err) Object.assign(worst, { name: i ? trainable[i - 1] : 'loss', err });
  }
  expect(worst.err, `largest relative difference at ${worst.name}`).to.be.below(2e-3);
  tape.dispose();
  tf.dispose([value, ...stats.flatMap((s) => [s.mean, s.variance])]);
  expect(liveTensors(tf), 'tensors left by the forward/backward pass').to.equal(before);
  tf.dispose([...want, x, w, ...params.values()]);
}

describe('cnn: hand-written gradients', function () {
  this.timeout(60_000);
  it('equal TensorFlow.js autodiff of the same network on the CPU backend', () => compare('cpu'));
  it('equal TensorFlow.js autodiff of the same network on the WebAssembly backend', () => compare('wasm'));
});
