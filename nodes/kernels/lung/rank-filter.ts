// k×k median or minimum filter of an int16 image (the median-filter node; the fused chain never
// needs it, see window-count.ts). Borders follow scipy.ndimage's modes: 'reflect' (d c b a | a b
// c d) or 'replicate' (a a a | a b c d); for k = 3 the two agree.
import { edgeIndex, type Edge } from './bits.js';

export type Rank = 'median' | 'minimum';

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

/** Filter an h×w image with a size×size window (size odd); returns a new image. */
export function rankFilter(src: Int16Array, h: number, w: number, size: number, rank: Rank, edge: Edge): Int16Array {
  if (!(size >= 1 && size % 2 === 1)) throw new Error(`rankFilter: window ${size} must be an odd integer ≥ 1`);
  const r = (size - 1) >> 1, out = new Int16Array(h * w);
  const rows = lineMap(h, r, edge, w), cols = lineMap(w, r, edge, 1);
  if (rank === 'minimum') {                   // separable: row minima, then column minima
    const tmp = new Int16Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let m = 32767;
        for (let d = 0; d < size; d++) m = Math.min(m, src[y * w + cols[x + d]]);
        tmp[y * w + x] = m;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let m = 32767;
        for (let d = 0; d < size; d++) m = Math.min(m, tmp[rows[y + d] + x]);
        out[y * w + x] = m;
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
