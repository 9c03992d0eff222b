// A bidirectional LSTM layer's recurrence as two backend kernels (forward and backward through
// time) for the WebAssembly and pure-JS CPU backends. TensorFlow.js ops would take a dozen kernels
// per time step and direction, each with its bookkeeping, and as many again for the gradient; here
// a step is one matrix product per direction for all four gates (XNNPACK on wasm, the recurrent
// weight packed once per call) and the cell's arithmetic per row (WebAssembly SIMD on wasm,
// simd.ts; TypeScript on cpu). The input projection of the whole sequence stays outside (one large
// product), and so does the weight gradient's: dW_hh is one product of the stacked previous states
// with the stacked gate gradients, taken after the loop.
//
// Layout: p [B, T, 8H] holds x·W_ih for the forward then the backward direction, gates i, f, g, o
// (torch's order) in each; y [B, T, 2H] the hidden states [forward | backward]. Padding: rows past
// lengths[b] keep the previous state (forward direction) or stay zero (backward direction, which
// starts at the last real step), as torch's packed sequences do: y[b, T−1, :H] and y[b, 0, H:] are
// the final states of both directions.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { registerHostKernel, type Host, type Info } from './host.js';

const FORWARD = 'CtflowLstmForward';
const BACKWARD = 'CtflowLstmBackward';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Byte address of element `i` of a view of the wasm heap (for the SIMD kernels). */
const at = (v: Float32Array, i: number) => v.byteOffset + 4 * i;

/** One row's cell in TypeScript (simd.ts's lstmForward where it runs): offsets into the views; cp < 0: no previous cell. */
function cellForward(Z: Float32Array, zo: number, P: Float32Array, po: number, BI: Float32Array, bo: number, SV: Float32Array, cp: number, so: number, Y: Float32Array, yo: number, H: number): void {
  for (let j = 0; j < H; j++) {
    const i = sigmoid(Z[zo + j] + P[po + j] + BI[bo + j]);
    const f = sigmoid(Z[zo + H + j] + P[po + H + j] + BI[bo + H + j]);
    const g = Math.tanh(Z[zo + 2 * H + j] + P[po + 2 * H + j] + BI[bo + 2 * H + j]);
    const o = sigmoid(Z[zo + 3 * H + j] + P[po + 3 * H + j] + BI[bo + 3 * H + j]);
    const c = Math.fround(f * (cp < 0 ? 0 : SV[cp + j]) + i * g);
    const tc = Math.tanh(c);
    SV[so + j] = i; SV[so + H + j] = f; SV[so + 2 * H + j] = g; SV[so + 3 * H + j] = o;
    SV[so + 4 * H + j] = c; SV[so + 5 * H + j] = tc;
    Y[yo + j] = o * tc;
  }
}

/** Its gradient (simd.ts's lstmBackward): gate gradients into DZ, DP, DZA (same values) and added to DB; the carries updated. */
function cellBackward(DY: Float32Array, yo: number, CA: Float32Array, ch: number, cc: number, SV: Float32Array, so: number, cp: number, DZ: Float32Array, zo: number, DP: Float32Array, po: number, DZA: Float32Array, ao: number, DB: Float32Array, bo: number, H: number): void {
  const put = (k: number, v: number) => { DZ[zo + k] = v; DP[po + k] = v; DZA[ao + k] = v; DB[bo + k] += v; };
  for (let j = 0; j < H; j++) {
    const dh = DY[yo + j] + CA[ch + j];
    const i = SV[so + j], f = SV[so + H + j], g = SV[so + 2 * H + j], o = SV[so + 3 * H + j], tc = SV[so + 5 * H + j];
    const dc = CA[cc + j] + dh * o * (1 - tc * tc);
    put(j, dc * g * i * (1 - i));
    put(H + j, dc * (cp < 0 ? 0 : SV[cp + j]) * f * (1 - f));
    put(2 * H + j, dc * i * (1 - g * g));
    put(3 * H + j, dh * tc * o * (1 - o));
    CA[cc + j] = dc * f;
    CA[ch + j] = 0;
  }
}

/**
 * Forward through time. Returns y [B, T, 2H] and the values the backward pass needs,
 * saved [2, T, B, 6H]: per direction, step and row the gates i, f, g, o after their activations,
 * the cell state c and tanh(c).
 */
function forward(h: Host, p: Info, bias: Info, whh: [Info, Info], lengths: number[]): Info[] {
  const [B, T] = p.shape;
  const H = p.shape[2] / 8, G = 4 * H, S6 = 6 * H;
  const simd = H % 4 === 0 ? h.simd : null;
  const y = h.zeros([B, T, 2 * H]);
  const saved = h.zeros([2, T, B, S6]);
  const hIn = h.zeros([B, H]);
  const zero = h.zeros([H]);
  for (let s = 0; s < T; s++) {
    for (let dir = 0; dir < 2; dir++) {
      const t = dir === 0 ? s : T - 1 - s;
      const prev = dir === 0 ? t - 1 : t + 1;
      if (s > 0) {
        const Y = h.view(y), X = h.view(hIn);
        for (let b = 0; b < B; b++) X.set(Y.subarray((b * T + prev) * 2 * H + dir * H, (b * T + prev) * 2 * H + dir * H + H), b * H);
      }
      const z = h.matmul(hIn, whh[dir]);
      const Z = h.view(z), P = h.view(p), BI = h.view(bias), Y = h.view(y), SV = h.view(saved), ZE = h.view(zero);
      for (let b = 0; b < B; b++) {
        const so = ((dir * T + t) * B + b) * S6;
        const sp = s > 0 ? ((dir * T + prev) * B + b) * S6 : -1;
        const yo = (b * T + t) * 2 * H + dir * H;
        const yp = (b * T + prev) * 2 * H + dir * H;
        if (t >= lengths[b]) {
          for (let j = 0; j < H; j++) {
            SV[so + 4 * H + j] = sp < 0 ? 0 : SV[sp + 4 * H + j];
            Y[yo + j] = sp < 0 ? 0 : Y[yp + j];
          }
          continue;
        }
        const zo = b * G, po = (b * T + t) * 8 * H + dir * G, bo = dir * G;
        if (simd) simd.lstmForward(at(Z, zo), at(P, po), at(BI, bo), sp < 0 ? at(ZE, 0) : at(SV, sp + 4 * H), at(SV, so), at(Y, yo), H);
        else cellForward(Z, zo, P, po, BI, bo, SV, sp < 0 ? -1 : sp + 4 * H, so, Y, yo, H);
      }
      h.free(z);
    }
  }
  h.free(hIn);
  h.free(zero);
  return [y, saved];
}

/** [R, C] → [C, R], copied into a new buffer. */
function transposed(h: Host, w: Info): Info {
  const [R, C] = w.shape;
  const out = h.zeros([C, R]);
  const W = h.view(w), O = h.view(out);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) O[c * R + r] = W[r * C + c];
  return out;
}

/**
 * Backward through time from dy [B, T, 2H] (the gradient of every hidden state output). Returns
 * dp [B, T, 8H], dbias [8H] and dW_hh for both directions.
 */
function backward(h: Host, dy: Info, y: Info, saved: Info, whh: [Info, Info], lengths: number[]): Info[] {
  const [B, T] = y.shape;
  const H = y.shape[2] / 2, G = 4 * H, S6 = 6 * H, TB = T * B;
  const simd = H % 4 === 0 ? h.simd : null;
  const dp = h.zeros([B, T, 2 * G]);
  const dbias = h.zeros([2 * G]);
  const whhT = whh.map((w) => transposed(h, w));
  const dz = h.zeros([B, G]);
  const dzAll = [h.zeros([TB, G]), h.zeros([TB, G])];      // rows (t, b): for dW_hh
  const hPrevT = [h.zeros([H, TB]), h.zeros([H, TB])];     // columns (t, b): previous states
  const carry = h.zeros([2, 2, B, H]);                     // per direction: dL/dh and dL/dc flowing to the previous step
  const zero = h.zeros([H]);
  for (let s = T - 1; s >= 0; s--) {
    for (let dir = 0; dir < 2; dir++) {
      const t = dir === 0 ? s : T - 1 - s;
      const prev = dir === 0 ? t - 1 : t + 1;
      const DY = h.view(dy), Y = h.view(y), SV = h.view(saved), DP = h.view(dp), DB = h.view(dbias), DZ = h.view(dz);
      const DZA = h.view(dzAll[dir]), HPT = h.view(hPrevT[dir]), CA = h.view(carry), ZE = h.view(zero);
      const chBase = dir * 2 * B * H;
      for (let b = 0; b < B; b++) {
        const yo = (b * T + t) * 2 * H + dir * H;
        const zo = b * G, ch = chBase + b * H, cc = chBase + (B + b) * H;
        if (t >= lengths[b]) {
          for (let j = 0; j < H; j++) CA[ch + j] += DY[yo + j];
          DZ.fill(0, zo, zo + G);
          continue;
        }
        const so = ((dir * T + t) * B + b) * S6;
        const sp = s > 0 ? ((dir * T + prev) * B + b) * S6 : -1;
        const yp = (b * T + prev) * 2 * H + dir * H;
        const po = (b * T + t) * 2 * G + dir * G, ao = (t * B + b) * G;
        if (simd) simd.lstmBackward(at(DY, yo), at(CA, ch), at(CA, cc), at(SV, so), sp < 0 ? at(ZE, 0) : at(SV, sp + 4 * H), at(DZ, zo), at(DP, po), at(DZA, ao), at(DB, dir * G), H);
        else cellBackward(DY, yo, CA, ch, cc, SV, so, sp < 0 ? -1 : sp + 4 * H, DZ, zo, DP, po, DZA, ao, DB, dir * G, H);
        if (sp >= 0) for (let j = 0; j < H; j++) HPT[j * TB + t * B + b] = Y[yp + j];
      }
      const r = h.matmul(dz, whhT[dir]);
      const R = h.view(r), C2 = h.view(carry);              // fresh views: the product allocated
      for (let k = 0; k < B * H; k++) C2[chBase + k] += R[k];
      h.free(r);
    }
  }
  const dW = [0, 1].map((dir) => h.matmul(hPrevT[dir], dzAll[dir]));
  for (const info of [...whhT, dz, ...dzAll, ...hPrevT, carry, zero]) h.free(info);
  return [dp, dbias, ...dW];
}

type T = TFJS.Tensor;
interface Attrs { lengths: number[] }

/**
 * Hidden states [B, T, 2H] of a bidirectional LSTM layer from its input projection p [B, T, 8H]
 * (x·W_ih, both directions), the summed biases [8H] and the recurrent weights [H, 4H] of each
 * direction, with gradients for all four. Only on host backends (host.ts); call inside tf.tidy.
 */
export function fusedRecurrence(tf: TF, p: T, bias: T, whhF: T, whhB: T, lengths: number[]): TFJS.Tensor3D {
  registerHostKernel<Attrs>(tf, FORWARD, (h, i, a) => forward(h, i.p, i.bias, [i.whhF, i.whhB], a.lengths));
  registerHostKernel<Attrs>(tf, BACKWARD, (h, i, a) => backward(h, i.dy, i.y, i.saved, [i.whhF, i.whhB], a.lengths));
  const attrs = { lengths };
  const op = tf.customGrad((...args: unknown[]) => {
    const [pp, bb, wf, wb] = args as T[];
    const save = args[4] as TFJS.GradSaveFunc;
    const [y, saved] = tf.engine().runKernel(FORWARD, { p: pp, bias: bb, whhF: wf, whhB: wb }, attrs) as T[];
    save([y, saved, wf, wb]);
    return {
      value: y,
      gradFunc: (dy: T, [ys, ss, wfs, wbs]: T[]) => tf.engine().runKernel(BACKWARD, { dy, y: ys, saved: ss, whhF: wfs, whhB: wbs }, attrs) as T[],
    };
  });
  return op(p, bias, whhF, whhB) as TFJS.Tensor3D;
}
