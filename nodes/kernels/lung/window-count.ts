// A k×k rank filter of a binary mask, on packed bits: output bit = (set bits in the window) ≥ need.
// With need = ⌈k²/2⌉ this is the median filter of the mask; with need = k² the minimum filter.
// Because a rank filter commutes with thresholding, median(x) > t ⇔ #(x > t) ≥ (k²+1)/2 and
// min(x) > t ⇔ #(x > t) = k² (same for ≥): the int16 filter never has to be computed.
// Counts are bit-sliced: each bit plane of the count is a 32-bit word per 32 pixels, so a column
// sum and a row sum are a handful of word operations per 32 pixels. Borders are padded inside the
// box by the edge rule, exactly as the filter pads the cropped image.
import { bitAt, edgeIndex, get32, type Edge } from './bits.js';
import type { Box } from './components.js';

export class CountScratch {
  padded = new Int32Array(0);
  /** Row sums of each padded row, as bit planes: [row][plane][word]. */
  rowSums = new Int32Array(0);
  rowMap = new Int32Array(0);
  /** Output rows, word-aligned (a zero word after the last). */
  out = new Uint32Array(0);

  ensure(h: number, pw: number, qw: number, r: number): void {
    if (this.padded.length < h * pw) this.padded = new Int32Array(h * pw);
    if (this.rowSums.length < h * 3 * qw) this.rowSums = new Int32Array(h * 3 * qw);
    if (this.rowMap.length < h + 2 * r) this.rowMap = new Int32Array(h + 2 * r);
    if (this.out.length < h * qw + 1) this.out = new Uint32Array(h * qw + 1);
  }
}

/**
 * Filter the box `box` of a bit image of width `w` (rows word-aligned), window k (odd, ≤ 7), keep
 * the pixels whose window count is ≥ need. Result in `s.out`: the box's rows, word-aligned.
 */
export function windowCount(bits: Uint32Array, w: number, box: Box, k: number, need: number, edge: Edge, s: CountScratch): void {
  if (!(k >= 1 && k <= 7 && k % 2 === 1)) throw new Error(`windowCount: window ${k} must be 1, 3, 5 or 7`);
  const ch = box.r1 - box.r0, cw = box.c1 - box.c0, r = (k - 1) >> 1, stride = 32 * ((w + 31) >> 5);
  const qw = (cw + 31) >> 5;                    // words per output row
  const pw = ((cw + 2 * r + 31) >> 5) + 1;      // words per padded row (one spare for shifts)
  s.ensure(ch, pw, qw, r);
  const { padded, rowSums, rowMap, out } = s;
  const left: number[] = [], right: number[] = [];         // source columns of the border bits
  for (let d = 1; d <= r; d++) {
    left.push(edgeIndex(-d, cw, edge));
    right.push(edgeIndex(cw - 1 + d, cw, edge));
  }
  for (let y = 0; y < ch; y++) {
    // padded row: r border bits, the box's cw bits, r border bits
    const base = (box.r0 + y) * stride + box.c0, row = y * pw;
    let prev = 0;
    for (let j = 0; j < pw; j++) {
      let q = 0;
      if (32 * j < cw) {
        q = get32(bits, base + 32 * j);
        if (cw - 32 * j < 32) q &= (1 << (cw - 32 * j)) - 1;
      }
      padded[row + j] = r === 0 ? q : (q << r) | (prev >>> (32 - r));
      prev = q;
    }
    for (let d = 1; d <= r; d++) {
      const l = r - d, rt = r + cw - 1 + d;
      if (bitAt(bits, base + left[d - 1])) padded[row + (l >> 5)] |= 1 << (l & 31);
      if (bitAt(bits, base + right[d - 1])) padded[row + (rt >> 5)] |= 1 << (rt & 31);
    }
    // its sums over k consecutive columns, 3 bit planes (k ≤ 7)
    for (let j = 0; j < qw; j++) {
      const lo = padded[row + j], hi = padded[row + j + 1];
      let h0 = lo, h1 = 0, h2 = 0;
      for (let d = 1; d < k; d++) {
        const x = (lo >>> d) | (hi << (32 - d));
        const c = h0 & x;
        h0 ^= x;
        h2 ^= h1 & c;
        h1 ^= c;
      }
      const at = y * 3 * qw + j;
      rowSums[at] = h0;
      rowSums[at + qw] = h1;
      rowSums[at + 2 * qw] = h2;
    }
  }
  for (let i = 0; i < ch + 2 * r; i++) rowMap[i] = edgeIndex(i - r, ch, edge) * 3 * qw;
  if (k === 3 && need === 5) median3(rowSums, rowMap, out, ch, cw, qw);
  else columnSums(rowSums, rowMap, out, ch, cw, qw, k, need);
  out[ch * qw] = 0;
}

const tail = (cw: number, j: number) => (cw - 32 * j < 32 ? (1 << (cw - 32 * j)) - 1 : -1);

/** Column sums of k row sums (6 bit planes, ≤ 49), compared with `need` plane by plane. */
function columnSums(rowSums: Int32Array, rowMap: Int32Array, out: Uint32Array, ch: number, cw: number, qw: number, k: number, need: number): void {
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
      out[y * qw + j] = (gt | eq) & tail(cw, j);
    }
  }
}

/** The 3×3 median case (count ≥ 5) in closed form: count = p0 + 2·c with c = low + 2·(q1 + carry). */
function median3(rowSums: Int32Array, rowMap: Int32Array, out: Uint32Array, ch: number, cw: number, qw: number): void {
  for (let y = 0; y < ch; y++) {
    const top = rowMap[y], mid = rowMap[y + 1], bot = rowMap[y + 2];
    for (let j = 0; j < qw; j++) {
      const t0 = rowSums[top + j], m0 = rowSums[mid + j], b0 = rowSums[bot + j];
      const t1 = rowSums[top + qw + j], m1 = rowSums[mid + qw + j], b1 = rowSums[bot + qw + j];
      const x0 = t0 ^ m0, p0 = x0 ^ b0, c0 = (t0 & m0) | (b0 & x0);
      const x1 = t1 ^ m1, q0 = x1 ^ b1, q1 = (t1 & m1) | (b1 & x1);
      const low = q0 ^ c0, carry = q0 & c0;
      out[y * qw + j] = (((q1 | carry) & (low | p0)) | (q1 & carry)) & tail(cw, j);
    }
  }
}
