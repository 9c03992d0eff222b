// Window multi-head self-attention of the Swin blocks (WindowAttention.forward of the original
// code, after the qkv projection and before the output projection):
//   per window and head, softmax(scale·q·kᵀ + relative position bias + shift mask) · v.
// On the WebAssembly backend it is one pair of kernels (forward, backward) that read q, k, v where
// the qkv projection wrote them and write each head's output into its columns: per window and head
// two SIMD products and a SIMD softmax forward, four products and the softmax gradient backward
// (simd.ts). Score rows are padded to a multiple of 4 columns; the padding's bias is −1e30, so its
// probability is 0. On WebGPU the same two kernels are WGSL (nodes/kernels/webgpu/attention.ts).
// Elsewhere it is TensorFlow.js ops (reshape, transpose, batched matMul, softmax).
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { registerHostKernel, type Host, type Info } from './host.js';
import { simdKernels } from './simd.js';
import { addRows } from './swin-ops.js';

type T = TFJS.Tensor;

export interface AttentionDims {
  /** Windows per image (the mask's first axis). */
  windows: number;
  /** Tokens per window. */
  tokens: number;
  heads: number;
}

interface Attrs extends AttentionDims { scale: number }

const FORWARD = 'CtflowWindowAttention';
const BACKWARD = 'CtflowWindowAttentionGrad';

const geometry = (qkv: Info, a: Attrs) => {
  const C3 = qkv.shape[1], C = C3 / 3, N = a.tokens;
  return { C3, C, N, d: C / a.heads, G: qkv.shape[0] / N, Np: Math.ceil(N / 4) * 4 };
};

/** Byte address of element `i` of a view of the wasm heap. */
const at = (v: Float32Array, i: number) => v.byteOffset + 4 * i;

/** Kᵀ (or Vᵀ) of one window and head, zero-padded to Np columns: out[k·Np + j] = qkv[base + j·C3 + k]. */
function transposeHead(qkv: Float32Array, base: number, C3: number, N: number, d: number, out: Float32Array, Np: number): void {
  for (let j = 0; j < N; j++) for (let k = 0; k < d; k++) out[k * Np + j] = qkv[base + j * C3 + k];
}

/** Returns out [rows, C] and the attention probabilities [G, heads, N, Np] (kept for the gradient). */
function forward(h: Host, qkv: Info, bias: Info, mask: Info | undefined, a: Attrs): Info[] {
  const k = h.simd!;
  const { C3, C, N, d, G, Np } = geometry(qkv, a);
  const H = a.heads, NN = N * N, NP = N * Np, W = mask ? a.windows : 1;
  const out = h.empty([qkv.shape[0], C]), probs = h.empty([G, H, N, Np]), kt = h.zeros([d, Np]), s = h.empty([N, Np]), table = h.empty([W, H, N, Np]);
  const QKV = h.view(qkv), O = h.view(out), P = h.view(probs), KT = h.view(kt), S = h.view(s), TB = h.view(table), BI = h.view(bias), MK = mask ? h.view(mask) : null;
  // what the scores get added: bias (+ the window's mask), −1e30 in the padding columns
  for (let w = 0; w < W; w++) for (let hd = 0; hd < H; hd++) for (let i = 0; i < N; i++) {
    const t = ((w * H + hd) * N + i) * Np;
    for (let j = 0; j < N; j++) TB[t + j] = BI[hd * NN + i * N + j] + (MK ? MK[w * NN + i * N + j] : 0);
    TB.fill(-1e30, t + N, t + Np);
  }
  for (let g = 0; g < G; g++) {
    const w = mask ? g % a.windows : 0;
    for (let hd = 0; hd < H; hd++) {
      const base = g * N * C3 + hd * d, po = (g * H + hd) * NP;
      transposeHead(QKV, base + C, C3, N, d, KT, Np);
      k.gemm(at(QKV, base), C3, 1, at(KT, 0), Np, at(S, 0), Np, N, d, Np);                       // q·kᵀ
      k.softmax(at(S, 0), at(TB, (w * H + hd) * NP), a.scale, at(P, po), N, Np);
      k.gemm(at(P, po), Np, 1, at(QKV, base + 2 * C), C3, at(O, g * N * C + hd * d), C, N, N, d); // P·v
    }
  }
  for (const info of [kt, s, table]) h.free(info);
  return [out, probs];
}

/** From dy [rows, C]: dqkv [rows, 3C] and the gradient of the bias [heads, N, N] (summed over images and windows). */
function backward(h: Host, dy: Info, qkv: Info, probs: Info, a: Attrs): Info[] {
  const k = h.simd!;
  const { C3, C, N, d, G, Np } = geometry(qkv, a);
  const H = a.heads, NP = N * Np;
  const dqkv = h.empty(qkv.shape), dbias = h.empty([H, N, N]), vt = h.zeros([d, Np]), dp = h.empty([N, Np]), ds = h.empty([N, Np]), acc = h.zeros([H, N, Np]);
  const DY = h.view(dy), QKV = h.view(qkv), P = h.view(probs), DQ = h.view(dqkv), VT = h.view(vt), DP = h.view(dp), DS = h.view(ds), ACC = h.view(acc);
  for (let g = 0; g < G; g++) {
    for (let hd = 0; hd < H; hd++) {
      const base = g * N * C3 + hd * d, ob = g * N * C + hd * d, po = (g * H + hd) * NP;
      transposeHead(QKV, base + 2 * C, C3, N, d, VT, Np);
      k.gemm(at(DY, ob), C, 1, at(VT, 0), Np, at(DP, 0), Np, N, d, Np);                    // dP = dO·vᵀ
      k.softmaxGrad(at(P, po), at(DP, 0), at(ACC, hd * NP), at(DS, 0), a.scale, N, Np);     // dS (bias), scale·dS
      k.gemm(at(P, po), 1, Np, at(DY, ob), C, at(DQ, base + 2 * C), C3, N, N, d);          // dv = Pᵀ·dO
      k.gemm(at(DS, 0), Np, 1, at(QKV, base + C), C3, at(DQ, base), C3, N, N, d);          // dq = scale·dS·k
      k.gemm(at(DS, 0), 1, Np, at(QKV, base), C3, at(DQ, base + C), C3, N, N, d);          // dk = scale·dSᵀ·q
    }
  }
  const DB = h.view(dbias);
  for (let r = 0; r < H * N; r++) DB.set(ACC.subarray(r * Np, r * Np + N), r * N);
  for (const info of [vt, dp, ds, acc]) h.free(info);
  return [dqkv, dbias];
}

/** The same attention as TensorFlow.js ops. */
function opsAttention(tf: TF, qkv: T, bias: T, mask: T | null, a: Attrs): TFJS.Tensor2D {
  const [rows, C3] = qkv.shape, C = C3 / 3, N = a.tokens, H = a.heads, d = C / H, G = rows / N;
  const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(qkv, [G, N, 3, H, d]), [2, 0, 3, 1, 4]));        // [G, heads, N, d] each
  const scores = tf.matMul(tf.mul(q, a.scale), k, false, true);                                          // [G, heads, N, N]
  let attn = tf.reshape(addRows(tf, tf.reshape(scores, [G, H * N * N]), tf.reshape(bias, [H * N * N])), [G / a.windows, a.windows, H, N, N]);
  if (mask) attn = tf.add(attn, mask);
  const heads = tf.matMul(tf.softmax(tf.reshape(attn, [G, H, N, N])), v);                                 // [G, heads, N, d]
  return tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [rows, C]) as TFJS.Tensor2D;
}

/**
 * Attention over window-ordered tokens: qkv [B·nW·N, 3C] (the qkv projection's output, windows of N
 * tokens in a row) → [B·nW·N, C]. bias [heads, N, N] (the gathered relative position bias) gets a
 * gradient; mask [nW, 1, N, N] (shifted blocks) is a constant.
 */
export function windowAttention(tf: TF, qkv: T, bias: T, mask: T | null, dims: AttentionDims): TFJS.Tensor2D {
  const attrs: Attrs = { ...dims, scale: (qkv.shape[1]! / 3 / dims.heads) ** -0.5 };
  const fused = tf.getBackend() === 'webgpu' || (tf.getBackend() === 'wasm' && ((qkv.shape[1]! / 3 / dims.heads) % 4 === 0) && simdKernels(tf.backend()) !== null);
  if (!fused) return opsAttention(tf, qkv, bias, mask, attrs);
  registerHostKernel<Attrs>(tf, FORWARD, (h, i, a) => forward(h, i.qkv, i.bias, i.mask, a), ['wasm']);
  registerHostKernel<Attrs>(tf, BACKWARD, (h, i, a) => backward(h, i.dy, i.qkv, i.probs, a), ['wasm']);
  const op = tf.customGrad((...args: unknown[]) => {
    const [x, b] = args as T[];
    const [out, probs] = tf.engine().runKernel(FORWARD, mask ? { qkv: x, bias: b, mask } : { qkv: x, bias: b }, attrs as never) as T[];
    (args[2] as TFJS.GradSaveFunc)([x, probs]);
    return {
      value: out,
      gradFunc: (dy: T, [xs, ps]: T[]) => tf.engine().runKernel(BACKWARD, { dy, qkv: xs, probs: ps }, attrs as never) as T[],
    };
  });
  return op(qkv, bias) as TFJS.Tensor2D;
}
