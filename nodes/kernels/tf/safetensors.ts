// Reads PyTorch weights saved as safetensors (https://github.com/huggingface/safetensors: 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the data)
// into weight entries in TensorFlow.js layouts. F32/F16/BF16 become float32, I32/I64 int32.
import type { WeightEntry } from './weights.js';

/**
 * How a tensor's layout changes from PyTorch to TensorFlow.js:
 * - conv: Conv2d weight [out, in, kh, kw] (OIHW) → [kh, kw, in, out] (HWIO)
 * - depthwise: depthwise Conv2d weight (groups = channels, multiplier 1) [c, 1, kh, kw] → [kh, kw, c, 1]
 * - linear: Linear weight [out, in] → [in, out]
 * - as-is: biases, norms, embeddings, counters
 */
export type Layout = 'conv' | 'depthwise' | 'linear' | 'as-is';

/** The tfjs name and layout for a PyTorch tensor, or null to skip it. */
export type NameMap = (name: string, shape: readonly number[]) => { name: string; layout: Layout } | null;

/** Keep names; rank-4 tensors are conv weights, rank-2 ones linear weights, the rest as-is. */
export const defaultMap: NameMap = (name, shape) => ({
  name,
  layout: shape.length === 4 ? 'conv' : shape.length === 2 ? 'linear' : 'as-is',
});

const PERM: Record<Layout, number[] | null> = { conv: [2, 3, 1, 0], depthwise: [2, 3, 0, 1], linear: [1, 0], 'as-is': null };
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };

interface HeaderEntry { dtype: string; shape: number[]; data_offsets: [number, number] }

/** Parse safetensors `bytes`; `source` (the file) names errors. */
export function readSafetensors(bytes: Uint8Array, opts: { source?: string; map?: NameMap } = {}): WeightEntry[] {
  const source = opts.source ?? 'safetensors data';
  const map = opts.map ?? defaultMap;
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}; is it a safetensors file (e.g. written by safetensors.torch.save_file)?`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is too short for the 8-byte header length`);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) fail(`header length ${headerLength} exceeds the ${bytes.byteLength}-byte file`);
  let header: Record<string, HeaderEntry>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + headerLength);
  const out: WeightEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry;
    const width = BYTES[dtype];
    if (!width) fail(`tensor "${name}" has dtype ${dtype}; supported: ${Object.keys(BYTES).join(', ')}`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end <= data.byteLength && end - begin === count * width)) {
      fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that do not hold ${dtype}[${shape}] within ${data.byteLength} data bytes`);
    }
    const target = map(name, shape);
    if (!target) continue;
    const values = decode(data.subarray(begin, end), dtype, count, () => fail(`tensor "${name}" (I64) has values outside the int32 range`));
    const perm = PERM[target.layout];
    if (perm && perm.length !== shape.length) fail(`tensor "${name}" has shape [${shape}], which is not a ${target.layout} weight (rank ${perm.length})`);
    if (target.layout === 'depthwise' && shape[1] !== 1) fail(`tensor "${name}" has shape [${shape}]: a depthwise weight is [channels, 1, kh, kw]`);
    out.push(perm
      ? { name: target.name, ...permute(values, shape, perm) }
      : { name: target.name, shape: [...shape], dtype: values instanceof Int32Array ? 'int32' : 'float32', data: values });
  }
  return out;
}

function decode(raw: Uint8Array, dtype: string, count: number, outOfRange: () => never): Float32Array | Int32Array {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32': return Float32Array.from({ length: count }, (_, i) => v.getFloat32(4 * i, true));
    case 'F16': return Float32Array.from({ length: count }, (_, i) => halfToFloat(v.getUint16(2 * i, true)));
    case 'BF16': {
      const bits = Uint32Array.from({ length: count }, (_, i) => v.getUint16(2 * i, true) << 16);
      return new Float32Array(bits.buffer);
    }
    case 'I32': return Int32Array.from({ length: count }, (_, i) => v.getInt32(4 * i, true));
    default: return Int32Array.from({ length: count }, (_, i) => {
      const x = v.getBigInt64(8 * i, true);
      return x >= -(2n ** 31n) && x < 2n ** 31n ? Number(x) : outOfRange();
    });
  }
}

/** IEEE 754 half precision bits → number (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Transpose row-major `values` of `shape` by `perm` (a one-off copy at import time). */
function permute(values: Float32Array | Int32Array, shape: number[], perm: number[]): { shape: number[]; dtype: 'float32' | 'int32'; data: Float32Array | Int32Array } {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const srcStride = perm.map((p) => strides[p]);
  const out = new (values.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(values.length);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * srcStride[d];
    out[o] = values[src];
    for (let d = idx.length - 1; d >= 0 && ++idx[d] === outShape[d]; d--) idx[d] = 0;
  }
  return { shape: outShape, dtype: values instanceof Int32Array ? 'int32' : 'float32', data: out };
}
