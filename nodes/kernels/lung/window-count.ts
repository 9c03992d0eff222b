// A k×k rank filter of a binary mask, on packed bits: output bit = (set bits in the window) ≥ need.
// With need = ⌈k²/2⌉ this is the median filter of the mask; with need = k² the minimum filter.
// Because a rank filter commutes with thresholding, median(x) > t ⇔ #(x > t) ≥ (k²+1)/2 and
// min(x) > t ⇔ #(x > t) = k² (same for ≥): the int16 filter never has to be computed.
// Counts are bit-sliced: each bit plane of the count is a 32-bit word per 32 pixels, so a column
// sum and a row sum are a handful of word operations per 32 pixels. Borders are padded inside the
// box by the edge rule, exactly as the filter pads the cropped image.
import { bitAt, edgeIndex, type Edge } from './bits.js';
import type { Box } from './components.js';

/** The bits [a, b) of a word (a and b may fall outside 0..32). */
function keep(a: number, b: number): number {
  a = Math.max(a, 0);
  b = Math.min(b, 32);
  return a >= b ? 0 : (b === 32 ? -1 : (1 << b) - 1) & (-1 << a);
}

export class CountScratch {
  padded = new Int32Array(0);
  /** Row sums of each padded row, as bit planes: [row][plane][word]. */
  rowSums = new Int32Array(0);
  rowMap = new Int32Array(0);
  /** Output rows, word-aligned, `width` bits each (a zero word after the last). */
  out = new Uint32Array(0);
  width = 0;

  ensure(h: number, pw: number, qw: number, r: number): void {
    if (this.padded.length < h * pw) this.padded = new Int32Array(h * pw);
    if (this.rowSums.length < h * 3 * qw) this.rowSums = new Int32Array(h * 3 * qw);
    if (this.rowMap.length < h + 2 * r) this.rowMap = new Int32Array(h + 2 * r);
    if (this.out.length < h * qw + 1) this.out = new Uint32Array(h * qw + 1);
  }
}

/**
 * Filter the box `box` of a bit image of width `w` (rows word-aligned), window k (odd, ≤ 7), keep
 * the pixels whose window count is ≥ need. The result, in `s.out`, keeps the image's word
 * alignment: row y holds columns [x0, x0 + s.width) of box row y, x0 = 32·⌊(c0 − r)/32⌋, with the
 * columns outside the box cleared. Those clear strips join every border-touching background pixel
 * of the box, so the holes of `s.out` are the holes of the filtered box.
 */
export function windowCount(bits: Uint32Array, w: number, box: Box, k: number, need: number, edge: Edge, s: CountScratch): void {
  if (!(k >= 1 && k <= 7 && k % 2 === 1)) throw new Error(`windowCount: window ${k} must be 1, 3, 5 or 7`);
  const ch = box.r1 - box.r0, cw = box.c1 - box.c0, r = (k - 1) >> 1, iw = (w + 31) >> 5;
  const first = Math.floor((box.c0 - r) / 32), x0 = 32 * first;    // first image word used
  const qw = ((box.c1 + r - 1) >> 5) + 1 - first;                   // words per output row
  const pw = qw + 2;                                                // padded: a zero word each side
  s.ensure(ch, pw, qw, r);
  s.width = 32 * qw;
  const { padded, rowSums, rowMap, out } = s;
  const lo = box.c0 - x0, hi = box.c1 - x0;                         // the box, in output columns
  const pads: number[] = [];                       // [padded bit, source column] of the border bits
  for (let d = 1; d <= r; d++) {
    pads.push(32 + lo - d, box.c0 + edgeIndex(-d, cw, edge));
    pads.push(32 + hi - 1 + d, box.c0 + edgeIndex(cw - 1 + d, cw, edge));
  }
  for (let y = 0; y < ch; y++) {
    // the image words around the box row, then the border bits replaced by the edge rule
    const src = (box.r0 + y) * iw, row = y * pw;
    padded[row] = 0;
    padded[row + pw - 1] = 0;
    for (let j = 0; j < qw; j++) {
      const at = first + j;
      padded[row + 1 + j] = at >= 0 && at < iw ? bits[src + at] | 0 : 0;
    }
    for (let i = 0; i < pads.length; i += 2) {
      const p = row + (pads[i] >> 5), b = 1 << (pads[i] & 31);
      padded[p] = bitAt(bits, 32 * src + pads[i + 1]) ? padded[p] | b : padded[p] & ~b;
    }
    // sums over the k columns around each pixel, 3 bit planes (k ≤ 7)
    for (let j = 0; j < qw; j++) {
      const a = padded[row + j], m = padded[row + j + 1], c = padded[row + j + 2];
      let h0 = m, h1 = 0, h2 = 0;
      for (let d = 1; d <= r; d++) {
        const x = (m >>> d) | (c << (32 - d)), z = (m << d) | (a >>> (32 - d));   // right, left
        let carry = h0 & x;
        h0 ^= x;
        h2 ^= h1 & carry;
        h1 ^= carry;
        carry = h0 & z;
        h0 ^= z;
        h2 ^= h1 & carry;
        h1 ^= carry;
      }
      const at = y * 3 * qw + j;
      rowSums[at] = h0;
      rowSums[at + qw] = h1;
      rowSums[at + 2 * qw] = h2;
    }
  }
  for (let i = 0; i < ch + 2 * r; i++) rowMap[i] = edgeIndex(i - r, ch, edge) * 3 * qw;
  const masks = Int32Array.from({ length: qw }, (_, j) => keep(lo - 32 * j, hi - 32 * j));
  if (k === 3 && need === 5) median3(rowSums, rowMap, out, ch, qw, masks);
  else columnSums(rowSums, rowMap, out, ch, qw, k, need, masks);
  out[ch * qw] = 0;
}

/** Column sums of k row sums (6 bit planes, ≤ 49), compared with `need` plane by plane. */
function columnSums(rowSums: Int32Array, rowMap: Int32Array, out: Uint32Array, ch: number, qw: number, k: number, need: number, masks: Int32Array): void {
  for (let y = 0; y < ch; y++) {
    for (let j = 0; j < qw; j++) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
      for (let dy = 0; dy < k; dy++) {
        const at = rowMap[y + dy] + j;
        const x0 = rowSums[at], x1 = rowSums[at + qw], x2 = rowSums[at + 2 * qw];
        const t1 = a1 ^ x1, t2 = a2 ^ x2;
        const c1 = a0 & x0, c2 = (a1 & x1) | (c1 & t1), c3 = (a2 & x2) | (c2 & t2), c4 = a3 & c3, c5 = a4 & c4;
        a0 ^= x0;
        a1 = t1 ^ c1;
        a2 = t2 ^ c2;
        a3 ^= c3;
        a4 ^= c4;
        a5 ^= c5;
      }
      let gt = 0, eq = -1;
      const step = (a: number, bit: number) => {
        if ((need >> bit) & 1) eq &= a;
        else { gt |= eq & a; eq &= ~a; }
      };
      step(a5, 5); step(a4, 4); step(a3, 3); step(a2, 2); step(a1, 1); step(a0, 0);
      out[y * qw + j] = (gt | eq) & masks[j];
    }
  }
}

/** The 3×3 median case (count ≥ 5) in closed form: count = p0 + 2·c with c = low + 2·(q1 + carry). */
function median3(rowSums: Int32Array, rowMap: Int32Array, out: Uint32Array, ch: number, qw: number, masks: Int32Array): void {
  for (let y = 0; y < ch; y++) {
    const top = rowMap[y], mid = rowMap[y + 1], bot = rowMap[y + 2];
    for (let j = 0; j < qw; j++) {
      const t0 = rowSums[top + j], m0 = rowSums[mid + j], b0 = rowSums[bot + j];
      const t1 = rowSums[top + qw + j], m1 = rowSums[mid + qw + j], b1 = rowSums[bot + qw + j];
      const x0 = t0 ^ m0, p0 = x0 ^ b0, c0 = (t0 & m0) | (b0 & x0);
      const x1 = t1 ^ m1, q0 = x1 ^ b1, q1 = (t1 & m1) | (b1 & x1);
      const low = q0 ^ c0, carry = q0 & c0;
      out[y * qw + j] = (((q1 | carry) & (low | p0)) | (q1 & carry)) & masks[j];
    }
  }
}
