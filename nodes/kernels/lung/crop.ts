// The body crop: bounding box of the largest 4-connected component of pixels above an air
// threshold, widened by a margin and clamped to the slice.
import { largestComponentBox, type Box } from './components.js';
import { threadScratch, type LungScratch } from './scratch.js';

/** Crop box of an h×w slice; the whole slice when no pixel is above `air`. */
export function cropBox(slice: Int16Array, h: number, w: number, air: number, margin: number, s: LungScratch = threadScratch()): Box {
  const [body] = s.threshold(slice, h, w, air, air);
  return widen(largestComponentBox(body, h, w, s.runs), margin, h, w);
}

/** `box` widened by `margin` pixels on each side, clamped to h×w (null → the whole slice). */
export function widen(box: Box | null, margin: number, h: number, w: number): Box {
  if (!box) return { r0: 0, r1: h, c0: 0, c1: w };
  return {
    r0: Math.max(0, box.r0 - margin), r1: Math.min(h, box.r1 + margin),
    c0: Math.max(0, box.c0 - margin), c1: Math.min(w, box.c1 + margin),
  };
}

/** The pixels of `box` (row-major; into `out`, else a new array) from a slice of width w. */
export function cropPixels(slice: Int16Array, w: number, box: Box, out: Int16Array = new Int16Array((box.r1 - box.r0) * (box.c1 - box.c0))): Int16Array {
  const cw = box.c1 - box.c0;
  for (let y = box.r0; y < box.r1; y++) out.set(slice.subarray(y * w + box.c0, y * w + box.c1), (y - box.r0) * cw);
  return out;
}
