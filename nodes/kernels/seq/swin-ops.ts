// The Swin Transformer's layers as TensorFlow.js ops with hand-written gradients where the
// automatic ones are slow on the WebAssembly backend, whose Sum over a leading axis and GatherV2
// are scalar loops 10–40× slower than a pass over the values: column sums (bias and LayerNorm
// gradients) and token permutations (cyclic shift + window partition, patch merging, patch
// extraction; the gradient is the inverse permutation) run as host kernels (host.ts), GELU and
// LayerNorm as one gradient step each.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { onHost, registerHostKernel } from './host.js';

type T = TFJS.Tensor;
type T2 = TFJS.Tensor2D;

const COLUMN_SUM = 'CtflowColumnSum';
const PERMUTE_ROWS = 'CtflowPermuteRows';

/** Column sums [C] of x [rows, C]. */
export function columnSum(tf: TF, x: T): TFJS.Tensor1D {
  if (!onHost(tf)) return tf.sum(x, 0);
  registerHostKernel(tf, COLUMN_SUM, (h, { x: xi }) => {
    const [rows, c] = xi.shape;
    const out = h.zeros([c]);
    if (h.simd && c % 4 === 0) {
      // 1ᵀ·x: a zero stride keeps reading the one
      const one = h.zeros([1]);
      h.view(one)[0] = 1;
      h.simd.gemm(h.view(one).byteOffset, 0, 0, h.view(xi).byteOffset, c, h.view(out).byteOffset, c, 1, rows, c);
      h.free(one);
      return out;
    }
    const acc = new Float64Array(c);
    const X = h.view(xi);
    for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) acc[j] += X[r * c + j];
    h.view(out).set(acc);
    return out;
  });
  return tf.engine().runKernel(COLUMN_SUM, { x }, {}) as TFJS.Tensor1D;
}

/** x [rows, C] + b [C]. */
export function addRows(tf: TF, x: T, b: T): T {
  const op = tf.customGrad((...args: unknown[]) => ({
    value: tf.add(args[0] as T, args[1] as T),
    gradFunc: (dy: T) => [dy, columnSum(tf, dy)],
  }));
  return op(x, b);
}

/** x [rows, in] · w [in, out] (+ b [out]). */
export function linear(tf: TF, x: T, w: T, b?: T): T2 {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xx, ww] = args as T2[];
    (args[args.length - 1] as TFJS.GradSaveFunc)([xx, ww]);
    const y = tf.matMul(xx, ww);
    return {
      value: b ? tf.add(y, args[2] as T) : y,
      gradFunc: (dy: T, [xs, ws]: T[]) => {
        const grads = [tf.matMul(dy as T2, ws as T2, false, true), tf.matMul(xs as T2, dy as T2, true, false)];
        return b ? [...grads, columnSum(tf, dy)] : grads;
      },
    };
  });
  return (b ? op(x, w, b) : op(x, w)) as T2;
}

/** LayerNorm over the last axis of x [rows, C] (torch: biased variance, eps inside the root). */
export function layerNorm(tf: TF, x: T, gamma: T, beta: T, eps = 1e-5): T2 {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xx, g, bb] = args as T[];
    const mean = tf.mean(xx, -1, true);
    const centered = tf.sub(xx, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
    const xhat = tf.mul(centered, rstd);
    (args[3] as TFJS.GradSaveFunc)([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), bb),
      gradFunc: (dy: T, [xh, rs, gs]: T[]) => {
        // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·γ
        const gh = tf.mul(dy, gs);
        const dx = tf.mul(rs, tf.sub(tf.sub(gh, tf.mean(gh, -1, true)), tf.mul(xh, tf.mean(tf.mul(gh, xh), -1, true))));
        return [dx, columnSum(tf, tf.mul(dy, xh)), columnSum(tf, dy)];
      },
    };
  });
  return op(x, gamma, beta) as T2;
}

/** GELU with the exact normal CDF (torch nn.GELU()): x·Φ(x); its derivative Φ(x) + x·φ(x). */
export function gelu(tf: TF, x: T): T {
  const op = tf.customGrad((...args: unknown[]) => {
    const xx = args[0] as T;
    const cdf = tf.mul(tf.add(tf.erf(tf.mul(xx, Math.SQRT1_2)), 1), 0.5);
    (args[1] as TFJS.GradSaveFunc)([xx, cdf]);
    return {
      value: tf.mul(xx, cdf),
      gradFunc: (dy: T, [xs, c]: T[]) => {
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), 1 / Math.sqrt(2 * Math.PI));
        return tf.mul(dy, tf.add(c, tf.mul(xs, pdf)));
      },
    };
  });
  return op(x);
}

/** A permutation of axis 1 and its inverse. */
export interface Permutation { order: Int32Array; inverse: Int32Array }

export function permutation(order: Int32Array): Permutation {
  if (new Set(order).size !== order.length) throw new Error('permutation: an index repeats');
  const inverse = new Int32Array(order.length);
  order.forEach((src, k) => { inverse[src] = k; });
  return { order, inverse };
}

/** out[b, k] = x[b, order[k]] for x [B, n, C]. */
function gatherRows(tf: TF, x: T, order: Int32Array): T {
  if (!onHost(tf)) return tf.tidy(() => tf.gather(x, tf.tensor1d(order, 'int32'), 1));
  registerHostKernel<{ order: Int32Array }>(tf, PERMUTE_ROWS, (h, { x: xi }, { order: o }) => {
    const [B, n, c] = xi.shape;
    const out = h.empty(xi.shape);
    const X = h.view(xi), O = h.view(out);
    for (let b = 0; b < B; b++) for (let k = 0; k < n; k++) {
      const s = (b * n + o[k]) * c, d = (b * n + k) * c;
      for (let j = 0; j < c; j++) O[d + j] = X[s + j];
    }
    return out;
  });
  return tf.engine().runKernel(PERMUTE_ROWS, { x }, { order } as never) as T;
}

/** x [B, n, C] with axis 1 reordered by `p`: out[:, k] = x[:, p.order[k]]. */
export function permute(tf: TF, x: T, p: Permutation): T {
  const op = tf.customGrad((...args: unknown[]) => ({
    value: gatherRows(tf, args[0] as T, p.order),
    gradFunc: (dy: T) => gatherRows(tf, dy, p.inverse),
  }));
  return op(x);
}
