// Test-only source: `scans` tiny scans of `slices` slices of size×size int16 noise (seeded).
import { defineNode } from '../../engine/types.js';
import { makeBatch } from '../../engine/ports.js';
import { rngFrom } from '../../engine/rng.js';
import { Slices } from '../../nodes/tables.js';

export interface P { scans: number; slices: number; size: number }

/** The params of toy-scans, and of tracked-scans, which makes the same scans. */
export const toyScanParams = {
  scans: { type: 'integer', minimum: 0, default: 3 },
  slices: { type: 'integer', minimum: 1, default: 4 },
  size: { type: 'integer', minimum: 1, maximum: 512, default: 8 },
};

export function toySlices(scan: string, n: number, size: number, seed: string, label: number | null = null) {
  const rng = rngFrom(seed);
  const pixels = Array.from({ length: n }, () => {
    const px = new Int16Array(size * size);
    for (let i = 0; i < px.length; i++) px[i] = Math.round(rng() * 2000 - 1000);
    return new Uint8Array(px.buffer);
  });
  return makeBatch(Slices, {
    scan_id: pixels.map(() => scan), split: pixels.map(() => 'train'), label: pixels.map(() => label),
    slice_index: pixels.map((_, i) => i), height: pixels.map(() => size), width: pixels.map(() => size),
    pixels, position_mm: pixels.map(() => null), pixel_mm: pixels.map(() => null),
  });
}

export default defineNode<P>(import.meta.url, {
  kind: 'toy-scans',
  version: 1,
  description: 'tiny seeded noise scans for engine tests',
  mode: 'source',
  random: true,
  params: toyScanParams,
  example: { scans: 2, slices: 3, size: 4 },
  outputs: { slices: Slices },
  async *run(ctx) {
    for (let s = 0; s < ctx.params.scans; s++) {
      yield { slices: toySlices(`scan-${s}`, ctx.params.slices, ctx.params.size, `${ctx.seed}:${s}`, s % 2) };
    }
  },
});
