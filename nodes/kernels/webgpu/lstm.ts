// A bidirectional LSTM layer's recurrence on WebGPU: the kernels CtflowLstmForward and
// CtflowLstmBackward that seq/lstm-kernel.ts's fusedRecurrence runs (same inputs, attributes and
// outputs; its comment gives the layout and the padding rules), here as per time step one tiled
// product for both directions (gemm.ts, batch = direction) that reads the previous hidden state in
// place, and one cell program: 2 dispatches per step instead of ~25 TensorFlow.js ops per step and
// direction. Forward state lives in one buffer written step after step (read_write):
// saved [2, T, B, 6H] (gates i, f, g, o after activation, c, tanh c) then y [B, T, 2H]; that buffer
// is the `saved` output (only CtflowLstmBackward reads it) and y is copied out at the end. The
// backward pass keeps its gate gradients dz [2, T, B, 4H] and the carried dL/dc, dL/dh [2, B, H]
// in one buffer likewise; dp, dbias and dW_hh are read from it after the loop.
import type * as TFJS from '@tensorflow/tfjs';
import { IDENTITY } from './epilogue.js';
import { gemm } from './gemm.js';
import { FLAT_INDEX, flatDispatch, run, type Args, type WebgpuBackend } from './program.js';

type TensorInfo = TFJS.TensorInfo;
const SIZE = 64;

/** A buffer of `n` zeros (a fresh pool buffer may hold anything). */
function zeros(backend: WebgpuBackend, shape: number[]): TensorInfo {
  const n = shape.reduce((a, b) => a * b, 1);
  return run(backend, {
    key: 'zeros', inputs: [], names: [], outputShape: shape, dispatch: flatDispatch(n, SIZE), workgroupSize: [SIZE, 1, 1],
    ints: { n }, code: `fn main() { let i = ${FLAT_INDEX(SIZE)}; if (i < uniforms.n) { result[i] = 0.0; } }`,
  });
}

/** `n` values of `src` from `offset` on, as a tensor of `shape`. */
function copyOut(backend: WebgpuBackend, src: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const n = shape.reduce((a, b) => a * b, 1);
  return run(backend, {
    key: 'copy', inputs: [src], names: ['S'], outputShape: shape, dispatch: flatDispatch(n, SIZE), workgroupSize: [SIZE, 1, 1],
    ints: { n, offset }, code: `fn main() { let i = ${FLAT_INDEX(SIZE)}; if (i < uniforms.n) { result[i] = S[uniforms.offset + i]; } }`,
  });
}

/** WGSL: this step's time index t of direction `dir`, and the previous one in that direction's order. */
const STEP = `
fn stepT(dir: i32) -> i32 { return select(uniforms.T - 1 - uniforms.s, uniforms.s, dir == 0); }
fn prevT(dir: i32) -> i32 { return select(stepT(dir) + 1, stepT(dir) - 1, dir == 0); }
fn sig(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }`;

/** WGSL, the start of a cell program's main: this thread's unit j of row b in direction dir at time t (one thread per 2·B·H). */
const CELL = `
  let i = ${FLAT_INDEX(SIZE)};
  let H = uniforms.H;
  if (i >= 2 * uniforms.B * H) { return; }
  let j = i % H;
  let b = (i / H) % uniforms.B;
  let dir = i / (H * uniforms.B);
  let t = stepT(dir);`;

const sizes = (B: number, T: number, H: number) => ({ B, T, H, yOff: 2 * T * B * 6 * H });

const lengthsTensor = (backend: WebgpuBackend, lengths: number[]) => backend.makeTensorInfo([lengths.length], 'float32', Float32Array.from(lengths));

/** z [2, B, 4H] = h_prev · W_hh per direction (zero at the first step). */
function recurrentProduct(backend: WebgpuBackend, state: TensorInfo, whhF: TensorInfo, whhB: TensorInfo, s: number, B: number, T: number, H: number): TensorInfo {
  return gemm(backend, {
    key: 'lstmz', inputs: [state, whhF, whhB], names: ['ST', 'WF', 'WB'],
    batch: 2, M: B, N: 4 * H, K: H, outputShape: [2, B, 4 * H], ints: { s, ...sizes(B, T, H) },
    loaders: `${STEP}
fn loadA(dir: i32, b: i32, k: i32) -> f32 {
  if (uniforms.s == 0) { return 0.0; }
  return ST[uniforms.yOff + (b * uniforms.T + prevT(dir)) * 2 * uniforms.H + dir * uniforms.H + k];
}
fn loadB(dir: i32, k: i32, col: i32) -> f32 { if (dir == 0) { return WF[k * 4 * uniforms.H + col]; } return WB[k * 4 * uniforms.H + col]; }`,
  });
}

export function lstmForward({ inputs, backend: be, attrs }: Args): TensorInfo[] {
  const backend = be as WebgpuBackend;
  const { p, bias, whhF, whhB } = inputs as Record<string, TensorInfo>;
  const [B, T] = p.shape, H = whhF.shape[0];
  const len = lengthsTensor(backend, attrs!.lengths as number[]);
  const state = zeros(backend, [2 * T * B * 6 * H + B * T * 2 * H]);
  try {
    for (let s = 0; s < T; s++) {
      const z = recurrentProduct(backend, state, whhF, whhB, s, B, T, H);
      run(backend, {
        key: 'lstmcell', inputs: [z, p, bias, len], names: ['Z', 'P', 'BIAS', 'LEN'], output: state, outputShape: state.shape,
        dispatch: flatDispatch(2 * B * H, SIZE), workgroupSize: [SIZE, 1, 1], ints: { s, ...sizes(B, T, H) },
        code: `${STEP}
fn main() {
${CELL}
  let so = ((dir * uniforms.T + t) * uniforms.B + b) * 6 * H;
  let sp = ((dir * uniforms.T + prevT(dir)) * uniforms.B + b) * 6 * H;
  let yo = uniforms.yOff + (b * uniforms.T + t) * 2 * H + dir * H + j;
  let yp = uniforms.yOff + (b * uniforms.T + prevT(dir)) * 2 * H + dir * H + j;
  var cPrev = 0.0;
  var hPrev = 0.0;
  if (uniforms.s > 0) { cPrev = result[sp + 4 * H + j]; hPrev = result[yp]; }
  if (f32(t) >= LEN[b]) {
    result[so + 4 * H + j] = cPrev;
    result[yo] = hPrev;
    return;
  }
  let zo = (dir * uniforms.B + b) * 4 * H + j;
  let po = (b * uniforms.T + t) * 8 * H + dir * 4 * H + j;
  let bo = dir * 4 * H + j;
  let gi = sig(Z[zo] + P[po] + BIAS[bo]);
  let gf = sig(Z[zo + H] + P[po + H] + BIAS[bo + H]);
  let gg = tanh(Z[zo + 2 * H] + P[po + 2 * H] + BIAS[bo + 2 * H]);
  let go = sig(Z[zo + 3 * H] + P[po + 3 * H] + BIAS[bo + 3 * H]);
  let c = gf * cPrev + gi * gg;
  let tc = tanh(c);
  result[so + j] = gi;
  result[so + H + j] = gf;
  result[so + 2 * H + j] = gg;
  result[so + 3 * H + j] = go;
  result[so + 4 * H + j] = c;
  result[so + 5 * H + j] = tc;
  result[yo] = go * tc;
}`,
      });
      backend.disposeData(z.dataId);
    }
    return [copyOut(backend, state, sizes(B, T, H).yOff, [B, T, 2 * H]), state];
  } finally {
    backend.disposeData(len.dataId);
  }
}

export function lstmBackward({ inputs, backend: be, attrs }: Args): TensorInfo[] {
  const backend = be as WebgpuBackend;
  const { dy, saved, whhF, whhB } = inputs as Record<string, TensorInfo>;
  const [B, T] = dy.shape, H = whhF.shape[0];
  const dims = sizes(B, T, H);
  const len = lengthsTensor(backend, attrs!.lengths as number[]);
  // grads: dz [2, T, B, 4H], then carried dL/dc [2, B, H], then carried dL/dh [2, B, H].
  const dzSize = 2 * T * B * 4 * H, carry = dzSize;
  const grads = zeros(backend, [dzSize + 4 * B * H]);
  let r: TensorInfo | null = null;
  try {
    for (let s = T - 1; s >= 0; s--) {
      run(backend, {
        key: 'lstmcellgrad', inputs: [dy, saved, r ?? dy, len], names: ['DY', 'ST', 'R', 'LEN'], output: grads, outputShape: grads.shape,
        dispatch: flatDispatch(2 * B * H, SIZE), workgroupSize: [SIZE, 1, 1], ints: { s, hasR: r ? 1 : 0, carry, ...dims },
        code: `${STEP}
fn main() {
${CELL}
  let cc = uniforms.carry + (dir * uniforms.B + b) * H + j;
  let ch = cc + 2 * uniforms.B * H;
  let zo = ((dir * uniforms.T + t) * uniforms.B + b) * 4 * H + j;
  var dh = result[ch] + DY[(b * uniforms.T + t) * 2 * H + dir * H + j];
  if (uniforms.hasR == 1) { dh += R[(dir * uniforms.B + b) * H + j]; }
  if (f32(t) >= LEN[b]) {
    result[ch] = dh;
    for (var g = 0; g < 4; g++) { result[zo + g * H] = 0.0; }
    return;
  }
  let so = ((dir * uniforms.T + t) * uniforms.B + b) * 6 * H + j;
  let gi = ST[so];
  let gf = ST[so + H];
  let gg = ST[so + 2 * H];
  let go = ST[so + 3 * H];
  let tc = ST[so + 5 * H];
  var cPrev = 0.0;
  if (uniforms.s > 0) { cPrev = ST[((dir * uniforms.T + prevT(dir)) * uniforms.B + b) * 6 * H + 4 * H + j]; }
  let dc = result[cc] + dh * go * (1.0 - tc * tc);
  result[zo] = dc * gg * gi * (1.0 - gi);
  result[zo + H] = dc * cPrev * gf * (1.0 - gf);
  result[zo + 2 * H] = dc * gi * (1.0 - gg * gg);
  result[zo + 3 * H] = dh * tc * go * (1.0 - go);
  result[cc] = dc * gf;
  result[ch] = 0.0;
}`,
      });
      if (r) backend.disposeData(r.dataId);
      // dL/dh of the previous step: dz · W_hhᵀ per direction.
      r = gemm(backend, {
        key: 'lstmr', inputs: [grads, whhF, whhB], names: ['G', 'WF', 'WB'],
        batch: 2, M: B, N: H, K: 4 * H, outputShape: [2, B, H], ints: { s, ...dims },
        loaders: `${STEP}
fn loadA(dir: i32, b: i32, k: i32) -> f32 { return G[((dir * uniforms.T + stepT(dir)) * uniforms.B + b) * 4 * uniforms.H + k]; }
fn loadB(dir: i32, k: i32, col: i32) -> f32 { if (dir == 0) { return WF[col * 4 * uniforms.H + k]; } return WB[col * 4 * uniforms.H + k]; }`,
      });
    }
    const dp = run(backend, {
      key: 'lstmdp', inputs: [grads], names: ['G'], outputShape: [B, T, 8 * H],
      dispatch: flatDispatch(B * T * 8 * H, SIZE), workgroupSize: [SIZE, 1, 1], ints: dims,
      code: `
fn main() {
  let i = ${FLAT_INDEX(SIZE)};
  let G4 = 4 * uniforms.H;
  if (i >= uniforms.B * uniforms.T * 2 * G4) { return; }
  let g = i % G4;
  let dir = (i / G4) % 2;
  let t = (i / (2 * G4)) % uniforms.T;
  let b = i / (2 * G4 * uniforms.T);
  result[i] = G[((dir * uniforms.T + t) * uniforms.B + b) * G4 + g];
}`,
    });
    const dbias = run(backend, {
      key: 'lstmdb', inputs: [grads], names: ['G'], outputShape: [8 * H],
      dispatch: flatDispatch(8 * H, SIZE), workgroupSize: [SIZE, 1, 1], ints: dims,
      code: `
fn main() {
  let i = ${FLAT_INDEX(SIZE)};
  let G4 = 4 * uniforms.H;
  if (i >= 2 * G4) { return; }
  let dir = i / G4;
  var s = 0.0;
  for (var k = 0; k < uniforms.T * uniforms.B; k++) { s += G[(dir * uniforms.T * uniforms.B + k) * G4 + i - dir * G4]; }
  result[i] = s;
}`,
    });
    // dW_hh = Σ over (t, b) of h_prev ⊗ dz: K = T·B, h_prev read from the forward state (zero at a direction's first step).
    const dW = [0, 1].map((dir) => gemm(backend, {
      key: 'lstmdw', inputs: [saved, grads], names: ['ST', 'G'],
      batch: 1, M: H, N: 4 * H, K: T * B, outputShape: [H, 4 * H], ints: { dir, ...dims },
      loaders: `
fn loadA(unused: i32, j: i32, k: i32) -> f32 {
  let t = k / uniforms.B;
  let b = k - t * uniforms.B;
  if ((uniforms.dir == 0 && t == 0) || (uniforms.dir == 1 && t == uniforms.T - 1)) { return 0.0; }
  let prev = select(t + 1, t - 1, uniforms.dir == 0);
  return ST[uniforms.yOff + (b * uniforms.T + prev) * 2 * uniforms.H + uniforms.dir * uniforms.H + j];
}
fn loadB(unused: i32, k: i32, col: i32) -> f32 { return G[(uniforms.dir * uniforms.T * uniforms.B + k) * 4 * uniforms.H + col]; }`,
      epilogue: IDENTITY,
    }));
    return [dp, dbias, ...dW];
  } finally {
    if (r) backend.disposeData(r.dataId);
    backend.disposeData(grads.dataId);
    backend.disposeData(len.dataId);
  }
}
