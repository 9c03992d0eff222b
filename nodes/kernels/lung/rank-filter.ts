// k×k median or minimum filter of an int16 image (the median-filter node; the fused chain never
// needs it, see window-count.ts). Borders follow scipy.ndimage's modes: 'reflect' (d c b a | a b
// c d) or 'replicate' (a a a | a b c d); for k = 3 the two agree.
import { edgeIndex, type Edge } from './bits.js';

export type Rank = 'median' | 'minimum';

const lo = (a: number, b: number) => (a < b ? a : b);
const hi = (a: number, b: number) => (a < b ? b : a);

/** Offsets of the padded lines: map[i] = the source index of padded position i (i - r outside). */
function lineMap(n: number, r: number, edge: Edge, scale: number): Int32Array {
  const m = new Int32Array(n + 2 * r);
  for (let i = 0; i < m.length; i++) m[i] = edgeIndex(i - r, n, edge) * scale;
  return m;
}

/** The k-th smallest of a[0..n) (reorders a). */
function select(a: Int32Array, n: number, k: number): number {
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Filter an h×w image with a size×size window (size odd) into `out` (not `src`; else a new image). */
export function rankFilter(src: Int16Array, h: number, w: number, size: number, rank: Rank, edge: Edge, out: Int16Array = new Int16Array(h * w)): Int16Array {
  if (!(size >= 1 && size % 2 === 1)) throw new Error(`rankFilter: window ${size} must be an odd integer ≥ 1`);
  const r = (size - 1) >> 1;
  const rows = lineMap(h, r, edge, w), cols = lineMap(w, r, edge, 1);
  if (rank === 'minimum') {                   // separable: row minima, then column minima
    const tmp = new Int16Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let m = 32767;
        for (let d = 0; d < size; d++) m = lo(m, src[y * w + cols[x + d]]);
        tmp[y * w + x] = m;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let m = 32767;
        for (let d = 0; d < size; d++) m = lo(m, tmp[rows[y + d] + x]);
        out[y * w + x] = m;
      }
    }
    return out;
  }
  if (size === 3) {
    for (let y = 0; y < h; y++) {
      const u = rows[y], m = rows[y + 1], d = rows[y + 2];
      for (let x = 0; x < w; x++) {
        const l = cols[x], c = cols[x + 1], r = cols[x + 2];
        out[y * w + x] = median9(src[u + l], src[u + c], src[u + r], src[m + l], src[m + c], src[m + r], src[d + l], src[d + c], src[d + r]);
      }
    }
    return out;
  }
  const win = new Int32Array(size * size), mid = (size * size - 1) >> 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let n = 0;
      for (let dy = 0; dy < size; dy++) {
        const row = rows[y + dy];
        for (let dx = 0; dx < size; dx++) win[n++] = src[row + cols[x + dx]];
      }
      out[y * w + x] = select(win, n, mid);
    }
  }
  return out;
}

/** Median of nine values: Devillard's 19 compare-exchange network (opt_med9). */
function median9(p0: number, p1: number, p2: number, p3: number, p4: number, p5: number, p6: number, p7: number, p8: number): number {
  let t: number;
  t = lo(p1, p2); p2 = hi(p1, p2); p1 = t;
  t = lo(p4, p5); p5 = hi(p4, p5); p4 = t;
  t = lo(p7, p8); p8 = hi(p7, p8); p7 = t;
  t = lo(p0, p1); p1 = hi(p0, p1); p0 = t;
  t = lo(p3, p4); p4 = hi(p3, p4); p3 = t;
  t = lo(p6, p7); p7 = hi(p6, p7); p6 = t;
  t = lo(p1, p2); p2 = hi(p1, p2); p1 = t;
  t = lo(p4, p5); p5 = hi(p4, p5); p4 = t;
  t = lo(p7, p8); p8 = hi(p7, p8); p7 = t;
  p3 = hi(p0, p3);
  p5 = lo(p5, p8);
  t = lo(p4, p7); p7 = hi(p4, p7); p4 = t;
  p6 = hi(p3, p6);
  p4 = hi(p1, p4);
  p2 = lo(p2, p5);
  p4 = lo(p4, p7);
  t = lo(p4, p2); p2 = hi(p4, p2); p4 = t;
  p4 = hi(p6, p4);
  return lo(p4, p2);
}
