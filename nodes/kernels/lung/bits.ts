// Packed bit masks: bit k of word j is pixel 32·j + k of a row-major bit stream whose rows start
// on word boundaries (a stride of 32·⌈w/32⌉ bits; a zero word follows the last row). Helpers to
// read 32 bits at any offset, list the runs of set bits of a row, and map out-of-range indices back
// inside a line the way an image filter pads its border.

export type Edge = 'reflect' | 'replicate';

/** 32 bits starting at bit `pos` (the word after the last one read must exist). */
export function get32(bits: Uint32Array, pos: number): number {
  const i = pos >>> 5;
  const s = pos & 31;
  return s === 0 ? bits[i] | 0 : (bits[i] >>> s) | (bits[i + 1] << (32 - s));
}

/** Bit `i` of a packed array. */
export function bitAt(bits: Uint32Array, i: number): number {
  return (bits[i >>> 5] >>> (i & 31)) & 1;
}

const ctz = (x: number): number => 31 - Math.clz32(x & -x);

/**
 * Append the runs [start, end) of set bits (of clear bits when `invert`) among the first `n` bits
 * of the row that starts at word `word`; returns the new run count. `starts`/`ends` need room
 * for ⌈n/2⌉ more runs.
 */
export function rowRuns(
  bits: Uint32Array, word: number, n: number, invert: boolean,
  starts: Int32Array, ends: Int32Array, count: number,
): number {
  const flip = invert ? -1 : 0, full = n >> 5;
  let inside = 0;                                     // -1 inside a run, 0 outside
  for (let j = 0, x = 0; j <= full; j++, x += 32) {
    if (x === n) break;
    let v = bits[word + j] ^ flip;
    if (j === full) v &= (1 << (n - x)) - 1;
    else if (v === inside) continue;                  // no run starts or ends in this word
    for (let from = 0; ;) {
      const m = (v ^ inside) & (-1 << from);          // bits that differ from the current state
      if (m === 0) break;
      from = ctz(m);
      if (inside) ends[count++] = x + from;
      else starts[count] = x + from;
      inside = ~inside;
    }
  }
  if (inside) ends[count++] = n;
  return count;
}

/** Copy h rows of w bits from a flat bit stream into rows ⌈w/32⌉ words apart (and a zero word). */
export function alignRows(flat: Uint32Array, h: number, w: number, out: Uint32Array): void {
  const qw = (w + 31) >> 5;
  for (let y = 0; y < h; y++) {
    for (let j = 0; j < qw; j++) {
      let v = get32(flat, y * w + 32 * j);
      if (w - 32 * j < 32) v &= (1 << (w - 32 * j)) - 1;
      out[y * qw + j] = v;
    }
  }
  out[h * qw] = 0;
}

/** Index `i` (possibly outside [0, n)) mapped into [0, n) by the border rule. */
export function edgeIndex(i: number, n: number, edge: Edge): number {
  if (edge === 'replicate') return i < 0 ? 0 : i >= n ? n - 1 : i;
  const p = 2 * n;                       // scipy 'reflect': d c b a | a b c d | d c b a
  const m = ((i % p) + p) % p;
  return m < n ? m : p - 1 - m;
}

/** Pack an h×w byte mask (non-zero = set) into word-aligned rows (and a zero word) in `out`. */
export function packMask(mask: Uint8Array, h: number, w: number, out: Uint32Array): void {
  const qw = (w + 31) >> 5;
  out.fill(0, 0, h * qw + 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0, i = y * w; x < w; x++, i++) if (mask[i] !== 0) out[y * qw + (x >> 5)] |= 1 << (x & 31);
  }
}
