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
  air: -500, margin: 0, size: 3, filter: 'median', edge: 'reflect', t: -400, op: 'gt',
};

export interface LungResult extends Box {
  /** Lung area in pixels: filled mask minus mask. */
  area: number;
}

/** Strict threshold equivalent to `op` at t for int16 pixels. */
export const strictThreshold = (t: number, op: 'gt' | 'ge'): number => (op === 'ge' ? t - 1 : t);

/** Window count a pixel needs to survive filter-then-threshold. */
export const neededCount = (size: number, filter: 'median' | 'minimum'): number =>
  filter === 'median' ? (size * size + 1) / 2 : size * size;

/** Crop box and lung area of one h×w int16 slice. */
export function lungArea(slice: Int16Array, h: number, w: number, options: Partial<LungOptions> = {}, s: LungScratch = threadScratch()): LungResult {
  const o = { ...LUNG_DEFAULTS, ...options };
  if (slice.length !== h * w) throw new Error(`lungArea: slice has ${slice.length} pixels, expected ${h}×${w}`);
  if (!(o.size >= 1 && o.size % 2 === 1)) throw new Error(`lungArea: filter size ${o.size} must be an odd integer ≥ 1`);
  const [body, tissue] = s.threshold(slice, h, w, o.air, strictThreshold(o.t, o.op));
  const box = widen(largestComponentBox(body, h, w, s.runs), o.margin, h, w);
  windowCount(tissue, w, box, o.size, neededCount(o.size, o.filter), o.edge, s.count);
  const area = holes(s.count.out, box.r1 - box.r0, s.count.width, s.runs);
  return { ...box, area };
}
