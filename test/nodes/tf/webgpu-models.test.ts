// One training step of each model on the stock WebGPU backend against the WebAssembly backend
// (which runs ctflow's fused LSTM and window-attention kernels, so this also cross-checks them):
// the loss and every parameter's gradient within 1e-4 of the largest value, then the parameters
// after one Adam step. Tiny sizes (lavapipe is slow): CNN small preset at 64² (batch 4: at 32² the last BatchNorm sees 2 values and amplifies rounding), the 4×bi-LSTM with
// hidden 16, the Swin small-cpu stage layout with patch 2 / window 4 / C 16 on 32×32.
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { architecture, initialWeights, paramSpecs, PRESETS, type CnnConfig } from '../../../nodes/kernels/cnn/architecture.js';
import { forward } from '../../../nodes/kernels/cnn/efficientnet.js';
import { createModel, disposeModel, trainStep as cnnStep } from '../../../nodes/kernels/cnn/model.js';
import { Tape } from '../../../nodes/kernels/cnn/tape.js';
import { initialEntries } from '../../../nodes/kernels/seq/init.js';
import { lstmNet } from '../../../nodes/kernels/seq/lstm-model.js';
import type { SeqNet } from '../../../nodes/kernels/seq/net.js';
import { SWIN_PRESETS, swinNet } from '../../../nodes/kernels/seq/swin-model.js';
import { trainStep as seqStep } from '../../../nodes/kernels/seq/train.js';
import { useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { adamState, flatAdamState } from '../../../nodes/kernels/train/adam.js';
import { relErr, webgpuOrSkip } from './webgpu-env.js';

const TOL = 1e-4;
// eps 1e-3 keeps the Adam step a smooth function of the gradient: with 1e-8 the first step is
// lr·g/|g|, which turns rounding differences in near-zero gradients (the key bias of attention,
// BatchNorm biases that feed BatchNorms: mathematically 0) into ±lr on any two backends.
const OPT = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-3, weightDecay: 5e-4 };
/** Per tensor: name and values. The loss is the first entry. */
type Result = [string, Float32Array][];

const read = async (named: [string, TFJS.Tensor][]): Promise<Result> => Promise.all(named.map(async ([n, t]) => [n, Float32Array.from(await t.data())] as [string, Float32Array]));

const top = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/**
 * Every entry of `got` within TOL of `want` (max error over the tensor's largest value), naming the
 * worst ones (the op to look at) if not. Tensors whose reference is zero up to rounding (≤ 1e-5 of
 * the largest value of the whole result: the gradient of a BatchNorm bias that feeds another
 * BatchNorm through a linear layer is mathematically 0) have no relative error to speak of: they
 * must stay at that level on webgpu too.
 */
function expectClose(what: string, got: Result, want: Result, floor = 1e-6) {
  expect(got.map((e) => e[0])).to.deep.equal(want.map((e) => e[0]));
  const level = 1e-5 * Math.max(...want.map((e) => top(e[1])));
  const zero = want.filter((e) => top(e[1]) <= level).map((e) => e[0]);
  expect(zero.length, `${what}: tensors at rounding level: ${zero.join(', ')}`).to.be.below(want.length / 4);
  for (const n of zero) expect(top(got.find((e) => e[0] === n)![1]), `${what}: ${n} is zero up to rounding on wasm`).to.be.at.most(level);
  const errs = got.filter(([n]) => !zero.includes(n)).map(([n, v]) => [n, relErr(v, want.find((e) => e[0] === n)![1], floor)] as const).sort((a, b) => b[1] - a[1]);
  expect(errs[0][1], `${what}: worst ${errs[0][0]} (then ${errs.slice(1, 4).map(([n, e]) => `${n} ${e.toExponential(1)}`).join(', ')})`).to.be.at.most(TOL);
}

const CNN: CnnConfig = { backbone: 'small', ...PRESETS.small, resolution: 64, embedding: 8, hu: [-1150, 350], fit: 'stretch' };
const BATCH = 4;
const images = () => {
  const rng = rngFrom('webgpu-cnn-x');
  return { x: Float32Array.from({ length: BATCH * 64 * 64 }, () => rng()), y: Float32Array.of(1, 0, 0, 1) };
};

/** The CNN's loss gradients (hand-written backward, as trainStep runs it), then one trainStep. */
async function cnnOn(backend: string): Promise<{ grads: Result; after: Result }> {
  const { tf } = await useBackend(backend);
  const arch = architecture(CNN);
  const entries = initialWeights(paramSpecs(arch), rngFrom('webgpu-cnn'));
  const m = createModel(tf, CNN, entries);
  const { x, y } = images();
  const tape = new Tape(tf);
  const stats: { mean: TFJS.Tensor; variance: TFJS.Tensor }[] = [];
  const w = tf.tensor1d([0.7, -1.3, 0.4, 1.1]);
  const value = tf.tidy(() => tf.sum(tf.mul(forward(tf, arch, m.params, tf.tensor4d(x, [BATCH, 64, 64, 1]), tape, stats as never).logit, w)));
  tape.backward(tf.reshape(w, [BATCH, 1]));
  const trainable = m.specs.filter((s) => !s.name.includes('running')).map((s) => s.name);
  const grads = await read([['loss', value], ...trainable.map((n) => [n, tape.grads.get(n)!] as [string, TFJS.Tensor])]);
  tape.dispose();
  tf.dispose([value, w, ...stats.flatMap((s) => [s.mean, s.variance])]);
  const loss = await cnnStep(tf, m, OPT, flatAdamState(), x, y);
  const after = await read([...m.params]);
  disposeModel(m);
  return { grads, after: [['loss', Float32Array.of(loss)], ...after] };
}

const bce = (tf: TF, z: TFJS.Tensor, y: TFJS.Tensor) => tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as TFJS.Scalar;

/** A sequence model's loss gradients (TensorFlow.js autodiff, as trainStep runs it), then one trainStep. */
async function seqOn(backend: string, build: (tf: TF) => SeqNet, shape: [number, number, number], lengths: number[]): Promise<{ grads: Result; after: Result }> {
  const { tf } = await useBackend(backend);
  const net = build(tf);
  const params = new Map(initialEntries(net.specs, (l) => rngFrom(`webgpu-seq:${l}`)).map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32') as TFJS.Tensor]));
  const rng = rngFrom('webgpu-seq-x');
  const inputs = { x: Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => 2 * rng() - 1), shape, lengths };
  const y = Float32Array.from({ length: shape[0] }, (_, i) => i % 2);
  const names = net.specs.map((s) => s.name);
  const { value, grads } = tf.tidy(() => tf.valueAndGrads(() => bce(tf, net.logits(tf, params, tf.tensor3d(inputs.x, shape), lengths), tf.tensor1d(y)))(names.map((n) => params.get(n)!)));
  const g = await read([['loss', value], ...names.map((n, i) => [n, grads[i]] as [string, TFJS.Tensor])]);
  tf.dispose([value, ...grads]);
  const adam = adamState();
  const loss = await seqStep(tf, net, params, adam, OPT, inputs, y);
  const after = await read([...params]);
  tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
  net.dispose();
  return { grads: g, after: [['loss', Float32Array.of(loss)], ...after] };
}

describe('one training step of each model: webgpu equals wasm (rel. err ≤ 1e-4)', function () {
  this.timeout(600_000);
  before(async function () { await webgpuOrSkip(this); });

  const check = async (run: (backend: string) => Promise<{ grads: Result; after: Result }>) => {
    const [gpu, ref] = [await run('webgpu'), await run('wasm')];
    expect(gpu.grads.length).to.be.above(10);
    expectClose('loss and gradients', gpu.grads, ref.grads);
    // Parameters are O(0.01–1); a zero-initialised bias is O(lr) after one step, so its error is
    // taken relative to 0.01 (as test/nodes/cnn/gradients.test.ts does for gradients).
    expectClose('loss and parameters after one Adam step', gpu.after, ref.after, 1e-2);
  };

  it('cnn (small preset, 64², batch 4): loss, every gradient, the Adam step', () => check(cnnOn));
  it('lstm (4×bi-LSTM, hidden 16, 6 steps, batch 2, one padded draw)', () =>
    check((b) => seqOn(b, () => lstmNet({ input: 16, hidden: 16, layers: 4, head: 16 }, 6), [2, 6, 16], [6, 4])));
  it('swin (small-cpu stages 2-2-2, heads 2-4-8; patch 2, window 4, C 16; 32×32, batch 2)', () =>
    check((b) => seqOn(b, (tf) => swinNet(tf, { ...SWIN_PRESETS['small-cpu'], patch: 2, dim: 16, window: 4, height: 32, width: 32 }), [2, 32, 32], [32, 32])));
});
