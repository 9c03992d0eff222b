// The CNN's layers, each a forward computation that (given a Tape) records its backward step.
// Shaped for what the WebAssembly backend (XNNPACK) runs fast; measured there (docs/cnn.md): its
// Sum/Mean over leading axes and rank-2 transposes of tall matrices are scalar loops 10–80× slower
// than an average pool over the same values, and a matrix product repacks its right operand on
// every call (~5–8 ns per value). So reductions are average pools, and products over all N·H·W
// positions transpose the operand with more channels and repack the one with fewer.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import type { Tape } from './tape.js';

type T = TFJS.Tensor;
type T2 = TFJS.Tensor2D;
type T4 = TFJS.Tensor4D;

/**
 * A layer's input recomputed for its backward step from what the layer that made it saved,
 * instead of kept: BatchNorm + swish and the squeeze-excitation scaling hand one to the next layer
 * (the producer's step runs after the consumer's, so what it saved is still there). Per MBConv
 * block this keeps 2 block-wide activations instead of 5, which is what lets b3 at 300² train 16
 * slices a batch within the WebAssembly backend's 4 GB.
 */
export type Source = () => T4;

/** Where a layer leaves the Source of its output for the next layer. */
export interface Handoff { output?: Source }
type Pad = [[0, 0], [number, number], [number, number], [0, 0]];

/** Per-channel means of NHWC `x` as [C]: one average pool over N·H × W. */
export function channelMean(tf: TF, x: T): TFJS.Tensor1D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.avgPool(tf.reshape(x, [1, n * h, w, c]) as T4, [n * h, w], 1, 'valid'), [c]);
}

/** Per-image, per-channel means of NHWC `x` as [N, C]. */
function imageMean(tf: TF, x: T): T2 {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.avgPool(x as T4, [h, w], 1, 'valid'), [n, c]);
}

/** NHWC `x` as the matrix [C, N·H·W] (a rank-3 transpose: the backend's rank-2 one is far slower for tall matrices). */
function channelsFirst(tf: TF, x: T): T2 {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n * h, w, c]), [2, 0, 1]), [c, n * h * w]);
}

/** Symmetric padding of a k×k window (PyTorch's padding = k // 2, as timm's EfficientNet uses). */
const padding = (k: number): Pad => {
  const p = (k - 1) >> 1;
  return [[0, 0], [p, p], [p, p], [0, 0]];
};

/** k×k convolution `name` (HWIO weight) with stride; its input gets no gradient when `inputGrad` is false. */
export function conv(tf: TF, tape: Tape | null, x: T4, w: T4, name: string, stride: number, inputGrad: boolean): T4 {
  const pad = padding(w.shape[0]);
  const y = tf.conv2d(x, w, stride, pad);
  if (!tape) return y;
  const xs = tape.save(x);
  tape.push((dy) => {
    const attrs = { strides: stride, pad, dataFormat: 'NHWC' };
    tape.grad(name, tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { ...attrs, filterShape: w.shape }));
    const dx = inputGrad ? tf.engine().runKernel<T>('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs.shape }) : null;
    tape.release(xs);
    return dx;
  });
  return y;
}

/** 1×1 convolution as a matrix product [N·H·W, Cin] × [Cin, Cout]; `input` recomputes x for the backward step. */
export function pointwise(tf: TF, tape: Tape | null, x: T4, w: T4, name: string, input?: Source): T4 {
  const [n, h, wd, cin] = x.shape;
  const cout = w.shape[3];
  const rows = n * h * wd;
  const w2 = tf.reshape(w, [cin, cout]) as T2;
  const y = tf.reshape(tf.matMul(tf.reshape(x, [rows, cin]) as T2, w2), [n, h, wd, cout]) as T4;
  if (!tape) return y;
  const saved = input ? null : tape.save(x);
  tape.push((dy) => {
    const xs = saved ?? input!();
    const dy2 = tf.reshape(dy, [rows, cout]) as T2;
    const x2 = tf.reshape(xs, [rows, cin]) as T2;
    const dw = cin <= cout ? tf.transpose(tf.matMul(channelsFirst(tf, dy), x2)) : tf.matMul(channelsFirst(tf, xs), dy2);
    tape.grad(name, tf.reshape(dw, [1, 1, cin, cout]));
    if (saved) tape.release(saved);
    return tf.reshape(tf.matMul(dy2, tf.reshape(w, [cin, cout]) as T2, false, true), [n, h, wd, cin]);
  });
  return y;
}

/** k×k depthwise convolution (weight [k, k, C, 1]) with stride; `input` recomputes x for the backward step. */
export function depthwise(tf: TF, tape: Tape | null, x: T4, w: T4, name: string, stride: number, input?: Source): T4 {
  const pad = padding(w.shape[0]);
  const y = tf.depthwiseConv2d(x, w, stride, pad);
  if (!tape) return y;
  const saved = input ? null : tape.save(x);
  tape.push((dy) => {
    const xs = saved ?? input!();
    const attrs = { strides: stride, dilations: 1, pad };
    tape.grad(name, tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xs, dy }, { ...attrs, filterShape: w.shape }));
    const dx = tf.engine().runKernel<T>('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs.shape });
    if (saved) tape.release(saved);
    return dx;
  });
  return y;
}

/** Batch statistics of one training step, for the running averages (kept: the caller disposes them). */
export interface BatchStats { name: string; mean: TFJS.Tensor1D; variance: TFJS.Tensor1D; count: number }

export interface BatchNormParams { gamma: T; beta: T; mean: T; variance: T; eps: number }

/**
 * BatchNorm then swish (x·σ(x)) when `swish`. Training (a tape): batch statistics (biased
 * variance), appended to `stats`; the backward step recomputes the pre-activation and σ from the
 * saved centred input (one activation-sized tensor kept per layer instead of three), and so can the
 * next layer its input (`next.output`). Inference: the running statistics.
 */
export function batchNorm(tf: TF, tape: Tape | null, x: T4, p: BatchNormParams, name: string, swish: boolean, stats: BatchStats[], next: Handoff = {}): T4 {
  const act = (z: T) => (swish ? tf.mul(z, tf.sigmoid(z)) : z) as T4;
  if (!tape) {
    const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(p.variance, p.eps)));
    return act(tf.add(tf.mul(x, scale), tf.sub(p.beta, tf.mul(p.mean, scale))));
  }
  const count = x.size / x.shape[3];
  const mean = channelMean(tf, x);
  const centered = tf.sub(x, mean);
  const variance = channelMean(tf, tf.square(centered));
  const rstd = tf.rsqrt(tf.add(variance, p.eps));
  const scale = tf.mul(p.gamma, rstd);
  const y = act(tf.add(tf.mul(centered, scale), p.beta));
  stats.push({ name, mean: tf.keep(mean), variance: tf.keep(variance), count });
  const [c, rs, ss] = [centered, rstd, scale].map((t) => tape.save(t));
  next.output = () => act(tf.add(tf.mul(c, ss), p.beta));
  tape.push((dy) => {
    // Sub-tidies free each temporary as soon as it is used (the early layers' ones are the big ones).
    const dz = !swish ? dy : tf.tidy(() => {
      const z = tf.add(tf.mul(c, ss), p.beta);
      const s = tf.sigmoid(z);
      return tf.mul(dy, tf.mul(s, tf.add(tf.mul(z, tf.sub(1, s)), 1)));   // swish'(z) = σ(z)·(1 + z·(1 − σ(z)))
    });
    // dβ = Σdz, dγ = Σdz·x̂, dx = γ·rstd·(dz − mean(dz) − x̂·mean(dz·x̂)), x̂ = (x − μ)·rstd, over N·H·W per channel
    const mdz = channelMean(tf, dz);
    const mdzc = tf.tidy(() => channelMean(tf, tf.mul(dz, c)));
    tape.grad(`${name}.weight`, tf.mul(mdzc, tf.mul(rs, count)));
    tape.grad(`${name}.bias`, tf.mul(mdz, count));
    const a = tf.mul(tf.neg(ss), tf.mul(tf.square(rs), mdzc));
    const dx = tf.tidy(() => tf.add(tf.mul(tf.sub(dz, mdz), ss), tf.mul(c, a)));
    if (dz !== dy) dz.dispose();
    tape.release(c, rs, ss);
    return dx;
  });
  return y;
}

/** y = x·W + b for rows x [N, in]; W is [in, out] or a 1×1 convolution's [1, 1, in, out]. */
export function linear(tf: TF, tape: Tape | null, x: T2, w: T, b: T, name: string): T2 {
  const matrix = () => tf.reshape(w, w.shape.slice(-2) as [number, number]) as T2;
  const y = tf.add(tf.matMul(x, matrix()), b) as T2;
  if (!tape) return y;
  const xs = tape.save(x);
  tape.push((dy) => {
    tape.grad(`${name}.weight`, tf.reshape(tf.matMul(xs, dy as T2, true, false), w.shape));
    tape.grad(`${name}.bias`, tf.sum(dy, 0));
    tape.release(xs);
    return tf.matMul(dy as T2, matrix(), false, true);
  });
  return y;
}

/** Per-image global average pooling [N, H, W, C] → [N, C]. */
export function globalPool(tf: TF, tape: Tape | null, x: T4): T2 {
  const [n, h, w, c] = x.shape;
  if (tape) tape.push((dy) => tf.mul(tf.fill([n, h, w, c], 1 / (h * w)), tf.reshape(dy, [n, 1, 1, c])));
  return imageMean(tf, x);
}

/** Elementwise swish on small tensors (the squeeze-excitation bottleneck). */
export function swish(tf: TF, tape: Tape | null, x: T): T {
  const s = tf.sigmoid(x);
  if (tape) {
    const [xs, ss] = [x, s].map((t) => tape.save(t));
    tape.push((dy) => {
      const dx = tf.mul(dy, tf.mul(ss, tf.add(tf.mul(xs, tf.sub(1, ss)), 1)));
      tape.release(xs, ss);
      return dx;
    });
  }
  return tf.mul(x, s);
}

/**
 * Squeeze-excitation gate: x [N, H, W, C] times σ(g) per image and channel, g [N, C] computed from
 * x by `gate` (whose own steps are on the tape between this layer's two). `input` recomputes x for
 * the backward pass; `next.output` recomputes the result for the next layer's.
 */
export function excite(tf: TF, tape: Tape | null, x: T4, gate: (pooled: T2) => T2, input?: Source, next: Handoff = {}): T4 {
  const [n, h, w, c] = x.shape;
  const saved = tape && !input ? tape.save(x) : null;
  const source = () => saved ?? input!();
  // Backward runs in reverse: first the gradient of x·σ(g) for both x and g (the g part continues
  // into `gate` and then the pool), finally the pool's gradient is added to the direct one.
  let direct: T | null = null;
  if (tape) {
    tape.push((dPooled) => {
      const dx = tf.add(direct!, tf.mul(tf.fill([n, h, w, c], 1 / (h * w)), tf.reshape(dPooled, [n, 1, 1, c])));
      tape.release(direct!);
      if (saved) tape.release(saved);
      return dx;
    });
  }
  const logits = gate(imageMean(tf, x));
  const s = tf.sigmoid(logits);
  const y = tf.mul(x, tf.reshape(s, [n, 1, 1, c])) as T4;
  if (tape) {
    const ss = tape.save(s);
    next.output = () => tf.mul(source(), tf.reshape(ss, [n, 1, 1, c])) as T4;
    tape.push((dy) => {
      const s4 = tf.reshape(ss, [n, 1, 1, c]);
      direct = tape.save(tf.mul(dy, s4));
      const dGate = tf.tidy(() => tf.mul(tf.mul(imageMean(tf, tf.mul(dy, source())), h * w), tf.mul(ss, tf.sub(1, ss))));
      tape.release(ss);
      return dGate;
    });
  }
  return y;
}

/** body(x) + x (a residual connection): backward splits the gradient, runs the body's steps, adds the skip copy. */
export function residual(tf: TF, tape: Tape | null, x: T4, body: (x: T4) => T4): T4 {
  let skip: T | null = null;
  tape?.push((dx) => {
    const out = tf.add(dx, skip!);
    tape.release(skip!);
    return out;
  });
  const y = body(x);
  tape?.push((dy) => {
    skip = tape.save(tf.clone(dy));
    return dy;
  });
  return tf.add(y, x) as T4;
}
