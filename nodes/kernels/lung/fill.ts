// The paper's "binary dilation" filling step: fill the holes of a mask (background 4-connected,
// flooded from the border, as scipy.ndimage.binary_fill_holes) and count what was filled.
import { packMask } from './bits.js';
import { holes } from './components.js';
import { threadScratch, type LungScratch } from './scratch.js';

/** Filled h×w mask (0/1) and the lung area: filled − mask, the number of hole pixels. */
export function fillHoles(mask: Uint8Array, h: number, w: number, s: LungScratch = threadScratch()): { filled: Uint8Array; area: number } {
  const filled = mask.slice();
  const bits = s.words(h * ((w + 31) >> 5) + 1);
  packMask(mask, h, w, bits);
  const area = holes(bits, h, w, s.runs, (y, x0, x1) => filled.fill(1, y * w + x0, y * w + x1));
  return { filled, area };
}
