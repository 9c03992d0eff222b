// The whole slice chain fused: crop → median (or minimum) filter → threshold → fill holes → lung
// area, in one SIMD pass over the pixels and then work on packed bits and runs only. No int16
// intermediate is materialised: the filter-then-threshold is computed as threshold-then-count
// (see window-count.ts), the fill as the hole runs of the mask (see components.ts).
import type { Edge } from './bits.js';
import { holes, largestComponentBox, type Box } from './components.js';
import { widen } from './crop.js';
import { threadScratch, type LungScratch } from './scratch.js';
import { windowCount } from './window-count.js';

export interface LungOptions {
  /** Crop to the body first (false: the slice is already cropped; the box is the whole slice). */
  crop: boolean;
  /** Crop: body = pixels > air (HU). */
  air: number;
  /** Crop margin in pixels on each side, clamped to the slice. */
  margin: number;
  /** Filter window (odd, 1 = no filter). */
  size: number;
  /** Rank of the filter: the paper's median, or the minimum its authors' code applies. */
  filter: 'median' | 'minimum';
  /** How the filter pads the crop: scipy's 'reflect' (d c b a | a b c d) or edge 'replicate'. */
  edge: Edge;
  /** Tissue threshold in HU (an integer). */
  t: number;
  /** Tissue = filtered > t ('gt', scipy reference) or ≥ t ('ge', the paper's eq. 2). */
  op: 'gt' | 'ge';
}

export const LUNG_DEFAULTS: LungOptions = {
  crop: true, air: -500, margin: 0, size: 3, filter: 'median', edge: 'reflect', t: -400, op: 'gt',
};

export interface LungResult extends Box {
  /** Lung area in pixels: filled mask minus mask. */
  area: number;
}

/**
 * Where lungArea writes the filled mask of the box (0/1 bytes, row-major, (r1 − r0) × (c1 − c0)):
 * called with that size once the box is known, it returns the array to fill.
 */
export type MaskSink = (size: number) => Uint8Array;

/** Strict threshold equivalent to `op` at t for int16 pixels. */
export const strictThreshold = (t: number, op: 'gt' | 'ge'): number => (op === 'ge' ? t - 1 : t);

/** Window count a pixel needs to survive filter-then-threshold. */
export const neededCount = (size: number, filter: 'median' | 'minimum'): number =>
  filter === 'median' ? (size * size + 1) / 2 : size * size;

/**
 * Crop box and lung area of one h×w int16 slice; with `mask`, also the filled mask of the box (what
 * threshold then binary-dilation give), unpacked from the kernel's bits and hole runs. `cropped`:
 * the crop box when the caller already has it (the cropper's, for the same air and margin), so
 * that it is not found again.
 */
export function lungArea(slice: Int16Array, h: number, w: number, options: Partial<LungOptions> = {}, s: LungScratch = threadScratch(), mask?: MaskSink, cropped?: Box): LungResult {
  const o = { ...LUNG_DEFAULTS, ...options };
  if (slice.length !== h * w) throw new Error(`lungArea: slice has ${slice.length} pixels, expected ${h}×${w}`);
  if (!(o.size >= 1 && o.size % 2 === 1)) throw new Error(`lungArea: filter size ${o.size} must be an odd integer ≥ 1`);
  s.reserve(h, w, (o.size - 1) >> 1);
  const [body, tissue] = s.threshold(slice, h, w, o.air, strictThreshold(o.t, o.op));
  const box = !o.crop ? { r0: 0, r1: h, c0: 0, c1: w } : cropped ?? widen(largestComponentBox(body, h, w, s.runs), o.margin, h, w);
  windowCount(tissue, w, box, o.size, neededCount(o.size, o.filter), o.edge, s.count);
  const ch = box.r1 - box.r0, cw = box.c1 - box.c0;
  if (!mask) return { ...box, area: holes(s.count.out, ch, s.count.width, s.runs) };
  // the box starts at bit `lo` of each output row (window-count.ts: rows begin at 32·⌊(c0 − r)/32⌋)
  const lo = box.c0 - 32 * Math.floor((box.c0 - ((o.size - 1) >> 1)) / 32), qw = s.count.width >> 5, out = mask(ch * cw), bits = s.count.out;
  for (let y = 0; y < ch; y++) {
    // a word at a time: the bits of row y from bit `at` on, into bytes o … o + cw
    for (let at = y * qw * 32 + lo, o = y * cw, end = o + cw; o < end;) {
      const word = bits[at >>> 5] >>> (at & 31), take = Math.min(32 - (at & 31), end - o);
      for (let k = 0; k < take; k++) out[o + k] = (word >>> k) & 1;
      o += take;
      at += take;
    }
  }
  const area = holes(bits, ch, s.count.width, s.runs, (y, x0, x1) => out.fill(1, y * cw + x0 - lo, y * cw + x1 - lo));
  return { ...box, area };
}
