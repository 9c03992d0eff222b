// The kernels registered for the WebAssembly backend against the pure-JS CPU backend: the kernels
// themselves over strides, paddings, kernel sizes, dilations, batch sizes and channel multipliers,
// the gradients of the ops that use them, and their tensor bookkeeping.
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { architecture, PRESETS } from '../../../nodes/kernels/cnn/architecture.js';
import { useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { relErr } from '../../helpers/numeric.js';

type Tensor = TFJS.Tensor;
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const TOL = 1e-4;
const PADS: Pad[] = ['same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]]];

let tf: TF;
let wasIsTest: boolean;
const rng = rngFrom('wasm-kernels');

function random(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng() * 2 - 1), shape);
}


/** Run `f` on `backend`, returning each output's shape and values. */
async function on(backend: 'cpu' | 'wasm', f: () => Tensor | Tensor[]): Promise<{ shape: number[]; values: Float32Array }[]> {
  await tf.setBackend(backend);
  const outs = [f()].flat();
  const res = await Promise.all(outs.map(async (t) => ({ shape: t.shape, values: (await t.data()) as Float32Array })));
  outs.forEach((t) => t.dispose());
  return res;
}

/** `f` on wasm equals `f` on cpu (or `reference` on cpu) in shape and within TOL. */
async function expectSame(label: string, f: () => Tensor | Tensor[], reference = f): Promise<void> {
  const want = await on('cpu', reference);
  const got = await on('wasm', f);
  expect(got.map((g) => g.shape), label).to.deep.equal(want.map((w) => w.shape));
  got.forEach((g, i) => expect(relErr(g.values, want[i].values), `${label} output ${i}`).to.be.below(TOL));
}

const run = (name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>) =>
  () => tf.engine().runKernel(name, inputs, attrs as TFJS.NamedAttrMap) as Tensor;

describe('wasm kernels against the CPU backend', function () {
  this.timeout(60_000);

  before(async () => {
    ({ tf } = await useBackend('wasm'));
    // IS_TEST makes the engine check every kernel for leaked backend data (and quiets its warnings).
    wasIsTest = tf.env().getBool('IS_TEST');
    tf.env().set('IS_TEST', true);
  });
  after(async () => {
    tf.env().set('IS_TEST', wasIsTest);
    await tf.setBackend('wasm');
  });
  beforeEach(() => tf.engine().startScope());
  afterEach(() => tf.engine().endScope());

  it('registers the missing gradient kernels on wasm', () => {
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum']) {
      expect(tf.getKernel(k, 'wasm'), k).to.exist;
    }
  });

  it('Conv2DBackpropFilter and Conv2DBackpropInput: strides 1, 2 and (2, 1); same, valid, explicit and numeric padding; kernels 1, 3, 5; batch 1, 3', async () => {
    const cases: { s: number | [number, number]; pad: Pad | number; k: number; round?: 'ceil' }[] = [];
    for (const s of [1, 2]) for (const pad of PADS) for (const k of [1, 3, 5]) cases.push({ s, pad, k });
    cases.push({ s: [2, 1], pad: 'same', k: 3 }, { s: 2, pad: 1, k: 3, round: 'ceil' });
    for (const [i, { s, pad, k, round }] of cases.entries()) {
      const shape = [1 + 2 * (i % 2), 9, 8, 3];
      const x = random(shape);
      const w = random([k, k, 3, 4]);
      await tf.setBackend('cpu');
      const dy = random(tf.conv2d(x as TFJS.Tensor4D, w as TFJS.Tensor4D, s, pad, 'NHWC', 1, round).shape);
      const attrs = { strides: s, pad, dataFormat: 'NHWC', dimRoundingMode: round };
      const label = `conv stride ${s} pad ${JSON.stringify(pad)} k${k} batch ${shape[0]}`;
      await expectSame(`${label} filter`, run('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }));
      await expectSame(`${label} input`, run('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: shape }));
    }
  });

  it('depthwise backprop filter and input: strides 1, 2; same, valid, explicit padding; kernels 1, 3, 5; multipliers 1, 2; batch 1, 2', async () => {
    let i = 0;
    for (const s of [1, 2]) for (const pad of PADS) for (const k of [1, 3, 5]) for (const m of [1, 2]) {
      const shape = [1 + (i++ % 2), 9, 8, 3];
      const x = random(shape);
      const w = random([k, k, 3, m]);
      await tf.setBackend('cpu');
      const dy = random(tf.depthwiseConv2d(x as TFJS.Tensor4D, w as TFJS.Tensor4D, s, pad).shape);
      const attrs = { strides: s, pad, dilations: 1 };
      const label = `depthwise stride ${s} pad ${JSON.stringify(pad)} k${k} m${m}`;
      await expectSame(`${label} filter`, run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }));
      await expectSame(`${label} input`, run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: shape }));
    }
  });

  it('depthwise backprop with dilation 2 equals the CPU backprop of the zero-expanded undilated filter', async () => {
    // The CPU kernels ignore dilation (TensorFlow.js's gradient refuses dilation > 1), so the
    // reference is the same convolution written with a filter of size (k−1)·2+1 holding zeros
    // between the taps: its filter gradient at the taps and its input gradient.
    for (const pad of ['same', PADS[2]] as Pad[]) for (const k of [3, 5]) for (const m of [1, 2]) {
      const d = 2;
      const big = (k - 1) * d + 1;
      const shape = [2, 11, 10, 3];
      const x = random(shape);
      const w = random([k, k, 3, m]);
      await tf.setBackend('cpu');
      const wide = tf.pad(tf.reshape(w, [k, 1, k, 1, 3, m]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]])
        .reshape([k * d, k * d, 3, m]).slice([0, 0, 0, 0], [big, big, 3, m]);
      const dy = random(tf.depthwiseConv2d(x as TFJS.Tensor4D, wide as TFJS.Tensor4D, 1, pad).shape);
      const label = `depthwise dilation 2 pad ${JSON.stringify(pad)} k${k} m${m}`;
      await expectSame(`${label} filter`,
        run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad, dilations: d, filterShape: w.shape }),
        () => tf.stridedSlice(run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad, dilations: 1, filterShape: wide.shape })(), [0, 0, 0, 0], [big, big, 3, m], [d, d, 1, 1]));
      await expectSame(`${label} input`,
        run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { strides: 1, pad, dilations: d, inputShape: shape }),
        run('DepthwiseConv2dNativeBackpropInput', { dy, filter: wide }, { strides: 1, pad, dilations: 1, inputShape: shape }));
    }
  });

  it('depthwise filter and input gradients (the SIMD kernels) on every depthwise layer of small 128², b0 224² and b3 300²: within float rounding of a plain loop, the same bytes twice', async () => {
    // The reference sums in float64, with Σ|terms| over the same terms: float32 sums stay within
    // 1e-5 of that; a tap or channel read from the wrong place is off by about the value itself.
    const out = (h: number, k: number, s: number) => Math.floor((h + 2 * (k >> 1) - k) / s) + 1;
    const worst = [0, 0];
    await tf.setBackend('wasm');
    /** Every value of `got` within 1e-5 · bound of `want`. */
    const check = (label: string, got: Float32Array, want: Float64Array, bound: Float64Array, which: number) => {
      expect(got.length, label).to.equal(want.length);
      for (let i = 0; i < want.length; i++) {
        const err = Math.abs(got[i] - want[i]) / (bound[i] || 1);
        worst[which] = Math.max(worst[which], err);
        if (!(err <= 1e-5)) expect.fail(`${label}: value ${i} is ${got[i]}, the plain loop's ${want[i]} (Σ|terms| ${bound[i]})`);
      }
    };
    for (const backbone of ['small', 'b0', 'b3'] as const) {
      const { width, depth, resolution } = PRESETS[backbone];
      let h = out(resolution, 3, 2);                                 // after the stem
      for (const b of architecture({ width, depth, embedding: 8 }).blocks) {
        const k = b.kernel, s = b.stride, c = b.midC, p = k >> 1, o = out(h, k, s);
        const x = random([1, h, h, c]), dy = random([1, o, o, c]), w = random([k, k, c, 1]);
        const attrs = { strides: s, pad: [[0, 0], [p, p], [p, p], [0, 0]], dilations: 1 };
        const grads = () => [
          run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape })(),
          run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape })(),
        ];
        const label = `${backbone} ${b.name}: ${h}² × ${c}, ${k}×${k}/${s}`;
        const [gotW, gotX, againW, againX] = (await on('wasm', () => [...grads(), ...grads()])).map((r) => r.values);
        expect(Buffer.from(againW.buffer).equals(Buffer.from(gotW.buffer)), `${label}: filter gradient, same bytes twice`).to.equal(true);
        expect(Buffer.from(againX.buffer).equals(Buffer.from(gotX.buffer)), `${label}: input gradient, same bytes twice`).to.equal(true);
        const X = x.dataSync(), DY = dy.dataSync(), Wt = w.dataSync();
        const wantW = new Float64Array(k * k * c), boundW = new Float64Array(k * k * c);
        const wantX = new Float64Array(h * h * c), boundX = new Float64Array(h * h * c);
        for (let r = 0; r < o; r++) for (let i = 0; i < k; i++) {
          const hh = r * s + i - p;
          if (hh < 0 || hh >= h) continue;
          for (let t = 0; t < o; t++) for (let j = 0; j < k; j++) {
            const ww = t * s + j - p;
            if (ww < 0 || ww >= h) continue;
            const xa = (hh * h + ww) * c, da = (r * o + t) * c, wa = (i * k + j) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = X[xa + ch] * DY[da + ch], u = Wt[wa + ch] * DY[da + ch];
              wantW[wa + ch] += v;
              boundW[wa + ch] += Math.abs(v);
              wantX[xa + ch] += u;
              boundX[xa + ch] += Math.abs(u);
            }
          }
        }
        check(`${label}: filter gradient`, gotW, wantW, boundW, 0);
        check(`${label}: input gradient`, gotX, wantX, boundX, 1);
        h = o;
      }
    }
    expect(worst[0], 'some rounding difference (the filter gradient sums in float32)').to.be.above(0);
    expect(worst[1], 'some rounding difference (the input gradient sums in float32)').to.be.above(0);
  });

  it('UnsortedSegmentSum: float and int32, ids out of range dropped', async () => {
    const x = random([6, 3, 2]);
    const ids = tf.tensor1d([0, 2, -1, 2, 5, 1], 'int32');
    await expectSame('float', () => tf.unsortedSegmentSum(x, ids, 4));
    const xi = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]], [4, 2], 'int32');
    await expectSame('int32', () => tf.unsortedSegmentSum(xi, tf.tensor1d([1, 1, 0, 3], 'int32'), 3));
  });

  it('BatchMatMul: every transpose combination, plain, broadcast and equal batches (small and large)', async () => {
    const shapes: [number[], number[]][] = [
      [[5, 7], [7, 3]], [[2, 9], [9, 30]], [[30, 9], [9, 2]], [[3, 5, 7], [7, 4]], [[5, 7], [3, 7, 4]], [[2, 3, 5, 7], [7, 4]], [[3, 5, 7], [3, 7, 4]], [[2, 3, 70, 65], [2, 3, 65, 66]],
    ];
    for (const [as, bs] of shapes) for (const tA of [false, true]) for (const tB of [false, true]) {
      const a = random(tA ? [...as.slice(0, -2), as[as.length - 1], as[as.length - 2]] : as);
      const b = random(tB ? [...bs.slice(0, -2), bs[bs.length - 1], bs[bs.length - 2]] : bs);
      await expectSame(`matMul ${a.shape} × ${b.shape} tA=${tA} tB=${tB}`, () => tf.matMul(a, b, tA, tB));
    }
  });

  it('Tile: single, several and merged axes, rank 7, int32', async () => {
    const cases: [number[], number[]][] = [[[3, 4], [2, 3]], [[2, 3, 4], [1, 1, 3]], [[2, 3, 4], [2, 1, 1]], [[5], [4]], [[2, 1, 3], [1, 4, 1]], [[2, 1, 3], [1, 2, 2]], [[1, 2, 1, 2, 1, 2, 1], [2, 2, 2, 2, 2, 2, 2]]];
    for (const [shape, reps] of cases) {
      const x = random(shape);
      await expectSame(`tile ${shape} by ${reps}`, () => tf.tile(x, reps));
    }
    const xi = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    await expectSame('tile int32', () => tf.tile(xi, [2, 3]));
  });

  it('gradients of conv2d, fused conv2d, depthwise conv2d, matMul, tile and gather equal the CPU backend', async () => {
    const x = random([2, 10, 9, 3]);
    const w = random([3, 3, 3, 5]);
    const bias = random([5]);
    const dw = random([3, 3, 3, 2]);
    const r1 = random([2, 5, 5, 5]);
    const r2 = random([2, 5, 5, 6]);
    const a = random([4, 6]);
    const b = random([6, 3]);
    const table = random([7, 4]);
    const r3 = random([8, 18]);
    const idx = tf.tensor1d([1, 6, 1, 0, 3], 'int32');
    const g = <T extends Tensor[]>(f: (...args: T) => Tensor, args: T) => () => tf.grads(f as (...xs: Tensor[]) => Tensor)(args);
    const x4 = (t: Tensor) => t as TFJS.Tensor4D;
    await expectSame('conv2d', g((xx, ww) => tf.sum(tf.mul(tf.conv2d(x4(xx), x4(ww), 2, 'same'), r1)), [x, w]));
    await expectSame('fused conv2d + bias + relu', g((xx, ww, bb) => tf.sum(tf.mul(tf.fused.conv2d({ x: x4(xx), filter: x4(ww), strides: 2, pad: 'same', bias: bb, activation: 'relu' }), r1)), [x, w, bias]));
    await expectSame('depthwise', g((xx, ww) => tf.sum(tf.mul(tf.depthwiseConv2d(x4(xx), x4(ww), 2, 'same'), r2)), [x, dw]));
    await expectSame('matMul', g((aa, bb) => tf.sum(tf.square(tf.matMul(aa, bb))), [a, b]));
    await expectSame('tile', g((aa) => tf.sum(tf.mul(tf.tile(aa, [2, 3]), r3)), [a]));
    await expectSame('gather', g((t) => tf.sum(tf.square(tf.gather(t, idx))), [table]));
  });

  it('leaves no tensor and no backend data behind after gradient computations', async () => {
    await tf.setBackend('wasm');
    const x = random([2, 12, 12, 4]);
    const w = random([3, 3, 4, 6]);
    const dw = random([5, 5, 4, 1]);
    const t = random([9, 3]);
    const idx = tf.tensor1d([0, 8, 8, 2], 'int32');
    const count = () => [tf.memory().numTensors, (tf.backend() as unknown as { numDataIds(): number }).numDataIds()];
    const before = count();
    for (let i = 0; i < 2; i++) {
      tf.tidy(() => {
        const grads = tf.grads((xx: Tensor, ww: Tensor, dd: Tensor, tt: Tensor) => {
          const y = tf.conv2d(xx as TFJS.Tensor4D, ww as TFJS.Tensor4D, 2, 'same');
          const z = tf.depthwiseConv2d(xx as TFJS.Tensor4D, dd as TFJS.Tensor4D, 1, 'valid');
          const q = tf.matMul(tf.reshape(y, [-1, 6]), tf.tile(tf.reshape(ww, [-1, 6]), [2, 1]), false, true);
          return tf.addN([tf.sum(y), tf.sum(z), tf.sum(q), tf.sum(tf.gather(tt, idx))]);
        })([x, w, dw, t]);
        expect(grads).to.have.length(4);
      });
      expect(count(), `after pass ${i + 1}`).to.deep.equal(before);
    }
  });
});
