// A cropped CT slice (int16 HU, any height × width) → the CNN's input: a square of the network's
// resolution, resized with an antialiased bilinear filter (a triangle filter widened by the
// downscaling factor, as PIL and torchvision's antialias=True do), then the HU window mapped to [0, 1].
import { endianness } from 'node:os';

export interface Preprocess {
  resolution: number;
  /** [low, high] HU: low → 0, high → 1, clipped outside. */
  hu: [number, number];
  /** 'stretch' resizes the slice to a square; 'pad' first pads it to a square with air (the window's low end). */
  fit: 'stretch' | 'pad';
}

interface Taps { first: Int32Array; count: Int32Array; weights: Float32Array; width: number }

const tapCache = new Map<string, Taps>();

/** Resampling taps from `n` source samples to `m` (source taps beyond the edges dropped, weights renormalised). */
function taps(n: number, m: number): Taps {
  const key = `${n}:${m}`;
  let t = tapCache.get(key);
  if (t) return t;
  const scale = n / m;
  const support = Math.max(1, scale);
  const width = Math.ceil(support) * 2 + 1;
  t = { first: new Int32Array(m), count: new Int32Array(m), weights: new Float32Array(m * width), width };
  for (let i = 0; i < m; i++) {
    const center = (i + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.floor(center - support) + 1);
    const hi = Math.min(n - 1, Math.ceil(center + support) - 1);
    const tri = (j: number) => Math.max(0, 1 - Math.abs(j - center) / support);
    let sum = 0;
    for (let j = lo; j <= hi; j++) sum += tri(j);
    t.first[i] = lo;
    t.count[i] = hi - lo + 1;
    for (let j = lo; j <= hi; j++) t.weights[i * width + j - lo] = tri(j) / sum;
  }
  if (tapCache.size > 256) tapCache.clear();
  tapCache.set(key, t);
  return t;
}

/** The slice centred on a square canvas filled with `air`. */
function padToSquare(pixels: Int16Array, h: number, w: number, air: number): { pixels: Int16Array; side: number } {
  const side = Math.max(h, w);
  const out = new Int16Array(side * side).fill(Math.max(-32768, Math.min(32767, Math.round(air))));
  const top = (side - h) >> 1, left = (side - w) >> 1;
  for (let y = 0; y < h; y++) out.set(pixels.subarray(y * w, (y + 1) * w), (top + y) * side + left);
  return { pixels: out, side };
}

const littleEndian = endianness() === 'LE';

/** Int16 values of little-endian `bytes` (a view when aligned on a little-endian machine). */
export function int16Pixels(bytes: Uint8Array): Int16Array {
  if (littleEndian && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int16Array.from({ length: bytes.byteLength >> 1 }, (_, i) => v.getInt16(2 * i, true));
}

/** Write the preprocessed `h`×`w` slice into `out` (resolution² floats) starting at `offset`. */
export function preprocessSlice(pixels: Int16Array, h: number, w: number, p: Preprocess, out: Float32Array, offset: number): void {
  if (p.fit === 'pad' && h !== w) {
    const sq = padToSquare(pixels, h, w, p.hu[0]);
    return preprocessSlice(sq.pixels, sq.side, sq.side, p, out, offset);
  }
  const r = p.resolution;
  const [lo, hi] = p.hu;
  const tr = taps(h, r), tc = taps(w, r);
  const rows = new Float32Array(h * r);          // horizontal pass: h rows × r columns, in HU
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < r; i++) {
      let acc = 0;
      const base = i * tc.width, src = y * w + tc.first[i];
      for (let k = 0; k < tc.count[i]; k++) acc += tc.weights[base + k] * pixels[src + k];
      rows[y * r + i] = acc;
    }
  }
  const scale = 1 / (hi - lo);                   // vertical pass, then the window
  for (let j = 0; j < r; j++) {
    const base = j * tr.width, first = tr.first[j];
    for (let i = 0; i < r; i++) {
      let acc = 0;
      for (let k = 0; k < tr.count[j]; k++) acc += tr.weights[base + k] * rows[(first + k) * r + i];
      const v = (acc - lo) * scale;
      out[offset + j * r + i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
}
