// Window multi-head self-attention on WebGPU: the kernels CtflowWindowAttention and
// CtflowWindowAttentionGrad that seq/swin-attention.ts runs (same inputs and attributes; its
// comment gives the formula). qkv [G·N, 3C] is read where the qkv projection wrote it and each
// head's output written into its columns, so no reshape or transpose runs. Forward: one program
// for the probabilities softmax(scale·q·kᵀ + bias + mask) [G, heads, N, N] (one thread per query
// row; only the gradient reads them, so unpadded), one for P·v (one thread per output value).
// Backward: dS = P ∘ (dP − rowsum(P ∘ dP)) with dP = dO·vᵀ (one thread per row), then dq, dk, dv
// in one program (one thread per value of dqkv) and the bias gradient Σ_g dS in another.
import type * as TFJS from '@tensorflow/tfjs';
import { FLAT_INDEX, flatDispatch, run, type Args, type WebgpuBackend } from './program.js';

type TensorInfo = TFJS.TensorInfo;
const SIZE = 64;

function dims(qkv: TensorInfo, attrs: Record<string, unknown>) {
  const N = attrs.tokens as number, heads = attrs.heads as number, C = qkv.shape[1] / 3;
  return { N, heads, C, d: C / heads, G: qkv.shape[0] / N, windows: attrs.windows as number };
}

/** WGSL: this thread's (g, head, row i) for one thread per score row, and the row's start in [G, heads, N, N]. */
const ROW = `
  let r = ${FLAT_INDEX(SIZE)};
  if (r >= uniforms.G * uniforms.heads * uniforms.N) { return; }
  let i = r % uniforms.N;
  let hd = (r / uniforms.N) % uniforms.heads;
  let g = r / (uniforms.N * uniforms.heads);
  let row = r * uniforms.N;
  let C3 = 3 * uniforms.C;`;

export function windowAttention({ inputs, backend: be, attrs }: Args): TensorInfo[] {
  const backend = be as WebgpuBackend;
  const { qkv, bias, mask } = inputs as Record<string, TensorInfo>;
  const a = dims(qkv, attrs!);
  const ints = { ...a, masked: mask ? 1 : 0 };
  const probs = run(backend, {
    key: 'attnp', inputs: [qkv, bias, mask ?? bias], names: ['QKV', 'BIAS', 'MASK'], outputShape: [a.G, a.heads, a.N, a.N],
    dispatch: flatDispatch(a.G * a.heads * a.N, SIZE), workgroupSize: [SIZE, 1, 1], ints, floats: { scale: attrs!.scale as number },
    code: `
fn main() {${ROW}
  let q = (g * uniforms.N + i) * C3 + hd * uniforms.d;
  let w = g % uniforms.windows;
  var top = -3.0e38;
  for (var j = 0; j < uniforms.N; j++) {
    let k = (g * uniforms.N + j) * C3 + uniforms.C + hd * uniforms.d;
    var s = 0.0;
    for (var c = 0; c < uniforms.d; c++) { s = fma(QKV[q + c], QKV[k + c], s); }
    s = s * uniforms.scale + BIAS[(hd * uniforms.N + i) * uniforms.N + j];
    if (uniforms.masked == 1) { s += MASK[(w * uniforms.N + i) * uniforms.N + j]; }
    result[row + j] = s;
    top = max(top, s);
  }
  var sum = 0.0;
  for (var j = 0; j < uniforms.N; j++) { let e = exp(result[row + j] - top); result[row + j] = e; sum += e; }
  for (var j = 0; j < uniforms.N; j++) { result[row + j] = result[row + j] / sum; }
}`,
  });
  const out = run(backend, {
    key: 'attnpv', inputs: [probs, qkv], names: ['P', 'QKV'], outputShape: [qkv.shape[0], a.C],
    dispatch: flatDispatch(qkv.shape[0] * a.C, SIZE), workgroupSize: [SIZE, 1, 1], ints,
    code: `
fn main() {
  let e = ${FLAT_INDEX(SIZE)};
  if (e >= uniforms.G * uniforms.N * uniforms.C) { return; }
  let col = e % uniforms.C;
  let t = e / uniforms.C;
  let g = t / uniforms.N;
  let hd = col / uniforms.d;
  let row = ((g * uniforms.heads + hd) * uniforms.N + t - g * uniforms.N) * uniforms.N;
  var s = 0.0;
  for (var j = 0; j < uniforms.N; j++) { s = fma(P[row + j], QKV[(g * uniforms.N + j) * 3 * uniforms.C + 2 * uniforms.C + col], s); }
  result[e] = s;
}`,
  });
  return [out, probs];
}

export function windowAttentionGrad({ inputs, backend: be, attrs }: Args): TensorInfo[] {
  const backend = be as WebgpuBackend;
  const { dy, qkv, probs } = inputs as Record<string, TensorInfo>;
  const a = dims(qkv, attrs!);
  const ints = a;
  const ds = run(backend, {
    key: 'attnds', inputs: [dy, qkv, probs], names: ['DY', 'QKV', 'P'], outputShape: probs.shape,
    dispatch: flatDispatch(a.G * a.heads * a.N, SIZE), workgroupSize: [SIZE, 1, 1], ints,
    code: `
fn main() {${ROW}
  let o = (g * uniforms.N + i) * uniforms.C + hd * uniforms.d;
  var dot = 0.0;
  for (var j = 0; j < uniforms.N; j++) {
    let v = (g * uniforms.N + j) * C3 + 2 * uniforms.C + hd * uniforms.d;
    var s = 0.0;
    for (var c = 0; c < uniforms.d; c++) { s = fma(DY[o + c], QKV[v + c], s); }
    result[row + j] = s;
    dot = fma(P[row + j], s, dot);
  }
  for (var j = 0; j < uniforms.N; j++) { result[row + j] = P[row + j] * (result[row + j] - dot); }
}`,
  });
  const dqkv = run(backend, {
    key: 'attndqkv', inputs: [ds, probs, qkv, dy], names: ['DS', 'P', 'QKV', 'DY'], outputShape: qkv.shape,
    dispatch: flatDispatch(qkv.shape[0] * 3 * a.C, SIZE), workgroupSize: [SIZE, 1, 1], ints, floats: { scale: attrs!.scale as number },
    code: `
fn main() {
  let e = ${FLAT_INDEX(SIZE)};
  let C3 = 3 * uniforms.C;
  if (e >= uniforms.G * uniforms.N * C3) { return; }
  let col = e % C3;
  let t = e / C3;
  let g = t / uniforms.N;
  let i = t - g * uniforms.N;
  let part = col / uniforms.C;
  let hc = col - part * uniforms.C;
  let hd = hc / uniforms.d;
  let head = (g * uniforms.heads + hd) * uniforms.N * uniforms.N;
  var s = 0.0;
  for (var j = 0; j < uniforms.N; j++) {
    let tj = g * uniforms.N + j;
    if (part == 0) { s = fma(DS[head + i * uniforms.N + j], QKV[tj * C3 + uniforms.C + hc], s); }       // dq = scale·dS·k
    else if (part == 1) { s = fma(DS[head + j * uniforms.N + i], QKV[tj * C3 + hc], s); }              // dk = scale·dSᵀ·q
    else { s = fma(P[head + j * uniforms.N + i], DY[tj * uniforms.C + hc], s); }                       // dv = Pᵀ·dO
  }
  result[e] = select(s, s * uniforms.scale, part < 2);
}`,
  });
  const dbias = run(backend, {
    key: 'attndb', inputs: [ds], names: ['DS'], outputShape: [a.heads, a.N, a.N],
    dispatch: flatDispatch(a.heads * a.N * a.N, SIZE), workgroupSize: [SIZE, 1, 1], ints,
    code: `
fn main() {
  let e = ${FLAT_INDEX(SIZE)};
  let per = uniforms.heads * uniforms.N * uniforms.N;
  if (e >= per) { return; }
  var s = 0.0;
  for (var g = 0; g < uniforms.G; g++) { s += DS[g * per + e]; }
  result[e] = s;
}`,
  });
  backend.disposeData(ds.dataId);
  return [dqkv, dbias];
}
