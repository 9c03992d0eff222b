// The depthwise convolution's two gradients on the WebAssembly backend as SIMD kernels of our own
// (channel multiplier 1, the one the CNN uses; depthwise.ts composes the others). With
// h = r·sH + i·dH − top and w = t·sW + j·dW − left (input row and column under output position
// (r, t) and tap (i, j)):
//   filter:  dW[i, j, c] = Σ_n Σ_r Σ_t x[n, h, w, c] · dy[n, r, t, c]
//   input:   dx[n, h, w, c] = Σ_i Σ_j W[i, j, c] · dy[n, r, t, c]   (over the (i, j) whose r, t exist)
// Composed from XNNPACK's depthwise convolution the filter gradient ran at 0.2–0.6 GFLOP/s (the
// output gradient used as a 64 × 64 … 112 × 112 filter, which XNNPACK's kernels are not built for),
// and the input gradient of a strided layer convolved a zero-dilated copy of dy. Here one call of
// `tap` or `axpy` covers one image row and one tap (i, j): the row's positions t whose input column
// lies inside the image, 16 (then 4, then 1) channels at a time.
// The summation order is fixed by the shapes alone, the same on every run and thread count (each
// pass's gradient is computed whole on one thread): dW adds, per value, the images and output rows
// in order, each row's positions summed in order in a register first; dx adds, per value, the taps
// in order (i, then j). The module is assembled from its instructions (../wasm-asm.ts) on the
// backend's own memory, so nothing is compiled at install time.
//
//   tap(x, dy, acc, C, T, sx):   acc[c] += Σ_{t<T} x[t·sx + c] · dy[t·C + c]   for c < C
//   axpy(dx, dy, w, C, T, sx):   dx[t·sx + c] += dy[t·C + c] · w[c]            for t < T, c < C
//     (dx, x, dy, w, acc byte addresses; C and sx count float32 values.)
import type { Info, KernelArgs, TF } from './compose.js';
import { convInfo } from './conv2d.js';
import {
  ADD, F32, F32_ADD, F32_LOAD, F32_MUL, F32_STORE, GT_S, I32, LOAD, STORE, V128, V_ADD, V_MUL, ZERO,
  assemble, f32, forUp, get, i32, inc, loop, onBackendMemory, set, toBytes, type Fn,
} from '../wasm-asm.js';

interface Kernels {
  tap(x: number, dy: number, acc: number, C: number, T: number, sx: number): void;
  axpy(dx: number, dy: number, w: number, C: number, T: number, sx: number): void;
}

/** Function locals: the six i32 parameters, then CB, J, XP, DP (i32), S (f32), A … A+3 (v128). */
const [P0, P1, P2, C, T, SX] = [0, 1, 2, 3, 4, 5];
const [CB, J, XP, DP, S, A] = [6, 7, 8, 9, 10, 11];
const LOCALS: [number, number][] = [[4, I32], [1, F32], [4, V128]];

/** What one chunk of `width` channels does: before the loop over t, per t, after it. */
interface Chunk { before: number[]; step: number[]; after: number[] }

/** `body(width)` over the channels: 16 at a time, then 4, then 1; XP = P0 + cb, DP = P1 + cb walk t. */
function channels(name: string, body: (width: number, vectors: number[]) => Chunk): Fn {
  const chunk = (width: number) => {
    const c = body(width, Array.from({ length: width / 4 }, (_, q) => q));
    return loop([...get(CB), ...i32(4 * width), ADD, ...get(C), GT_S], [
      ...c.before,
      ...get(P0), ...get(CB), ADD, ...set(XP),
      ...get(P1), ...get(CB), ADD, ...set(DP),
      ...forUp(J, get(T), i32(1), [...c.step, ...inc(XP, get(SX)), ...inc(DP, get(C))]),
      ...c.after,
      ...inc(CB, i32(4 * width)),
    ]);
  };
  return {
    name, params: new Array(6).fill(I32), locals: LOCALS,
    body: [...toBytes(C), ...toBytes(SX), ...i32(0), ...set(CB), ...chunk(16), ...chunk(4), ...chunk(1)],
  };
}

/** P2 + cb: the channel chunk's address in acc (tap) or w (axpy). */
const third = [...get(P2), ...get(CB), ADD];

const tap = () => channels('tap', (width, vectors) => (width === 1
  ? {
    before: [...f32(0), ...set(S)],
    step: [...get(S), ...get(XP), ...F32_LOAD, ...get(DP), ...F32_LOAD, F32_MUL, F32_ADD, ...set(S)],
    after: [...third, ...third, ...F32_LOAD, ...get(S), F32_ADD, ...F32_STORE],
  }
  : {
    before: vectors.flatMap((q) => [...ZERO, ...set(A + q)]),
    step: vectors.flatMap((q) => [...get(A + q), ...get(XP), ...LOAD(16 * q), ...get(DP), ...LOAD(16 * q), ...V_MUL, ...V_ADD, ...set(A + q)]),
    after: vectors.flatMap((q) => [...third, ...third, ...LOAD(16 * q), ...get(A + q), ...V_ADD, ...STORE(16 * q)]),
  }));

const axpy = () => channels('axpy', (width, vectors) => (width === 1
  ? {
    before: [...third, ...F32_LOAD, ...set(S)],
    step: [...get(XP), ...get(XP), ...F32_LOAD, ...get(DP), ...F32_LOAD, ...get(S), F32_MUL, F32_ADD, ...F32_STORE],
    after: [],
  }
  : {
    before: vectors.flatMap((q) => [...third, ...LOAD(16 * q), ...set(A + q)]),
    step: vectors.flatMap((q) => [...get(XP), ...get(XP), ...LOAD(16 * q), ...get(DP), ...LOAD(16 * q), ...get(A + q), ...V_MUL, ...V_ADD, ...STORE(16 * q)]),
    after: [],
  }));

const kernels = onBackendMemory<Kernels>(assemble([tap(), axpy()]));

interface Heap { makeOutput(shape: number[], dtype: 'float32'): Info; typedArrayFromHeap(i: Info): ArrayLike<number> }

/** Per tap column j: the output columns t whose input column w0 + t·sW (w0 = j·dW − left) lies in [0, W). */
function columns(fw: number, dW: number, left: number, sW: number, W: number, oW: number) {
  return Array.from({ length: fw }, (_, j) => {
    const w0 = j * dW - left;
    return { w0, t0: Math.max(0, Math.ceil(-w0 / sW)), t1: Math.min(oW, Math.floor((W - 1 - w0) / sW) + 1) };
  });
}

/** A zero-filled output, and the byte addresses of `inputs` and of it (taken after the allocation: the heap may move). */
function output(backend: unknown, shape: number[], inputs: Info[]): { out: Info; at: number[] } {
  const heap = backend as Heap;
  const out = heap.makeOutput(shape, 'float32');
  const views = [...inputs, out].map((i) => heap.typedArrayFromHeap(i) as Float32Array);
  views.at(-1)!.fill(0);
  return { out, at: views.map((v) => v.byteOffset) };
}

const applies = (k: Kernels | null, m: number, infos: Info[]): k is Kernels => k !== null && m === 1 && infos.every((i) => i.dtype === 'float32');

/** dW for y = depthwiseConv2d(x, W) with W [fh, fw, C, 1]; null where the kernel does not apply (multiplier > 1, not float32, no SIMD). */
export function depthwiseFilterSimd(tf: TF, { inputs: { x, dy }, backend, attrs }: KernelArgs): Info | null {
  const filterShape = attrs.filterShape as number[];
  const [fh, fw, C, m] = filterShape;
  const k = kernels(backend);
  if (!applies(k, m, [x, dy])) return null;
  const { strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW, outHeight: oH, outWidth: oW, inHeight: H, inWidth: W, batchSize: N, padInfo } =
    convInfo(tf, x.shape, filterShape, attrs, true);
  const { out, at: [xAt, dyAt, oAt] } = output(backend, filterShape, [x, dy]);
  const cols = columns(fw, dW, padInfo.left, sW, W, oW);
  for (let n = 0; n < N; n++) for (let r = 0; r < oH; r++) {
    const dyRow = ((n * oH + r) * oW) * C;
    for (let i = 0; i < fh; i++) {
      const h = r * sH + i * dH - padInfo.top;
      if (h < 0 || h >= H) continue;
      const xRow = ((n * H + h) * W) * C;
      for (let j = 0; j < fw; j++) {
        const { w0, t0, t1 } = cols[j];
        if (t1 > t0) k.tap(xAt + 4 * (xRow + (t0 * sW + w0) * C), dyAt + 4 * (dyRow + t0 * C), oAt + 4 * (i * fw + j) * C, C, t1 - t0, sW * C);
      }
    }
  }
  return out;
}

/** dx for y = depthwiseConv2d(x, W) with W [fh, fw, C, 1]; null where the kernel does not apply (multiplier > 1, not float32, no SIMD). */
export function depthwiseInputSimd(tf: TF, { inputs: { dy, filter }, backend, attrs }: KernelArgs): Info | null {
  const inputShape = attrs.inputShape as number[];
  const [fh, fw, C, m] = filter.shape;
  const k = kernels(backend);
  if (!applies(k, m, [dy, filter])) return null;
  const { strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW, outHeight: oH, outWidth: oW, inHeight: H, inWidth: W, batchSize: N, padInfo } =
    convInfo(tf, inputShape, filter.shape, attrs, true);
  const { out, at: [dyAt, wAt, oAt] } = output(backend, inputShape, [dy, filter]);
  const cols = columns(fw, dW, padInfo.left, sW, W, oW);
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) {
    const dxRow = ((n * H + h) * W) * C;
    for (let i = 0; i < fh; i++) {
      const v = h + padInfo.top - i * dH, r = v / sH;
      if (v < 0 || v % sH || r >= oH) continue;
      const dyRow = ((n * oH + r) * oW) * C;
      for (let j = 0; j < fw; j++) {
        const { w0, t0, t1 } = cols[j];
        if (t1 > t0) k.axpy(oAt + 4 * (dxRow + (t0 * sW + w0) * C), dyAt + 4 * (dyRow + t0 * C), wAt + 4 * (i * fw + j) * C, C, t1 - t0, sW * C);
      }
    }
  }
  return out;
}
