// Which slices a 2D CNN draw averages: `count` positions sampled without replacement from the
// window [start, end) or from the whole scan (all of them when there are fewer).
import type { Rng } from '../../../engine/rng.js';

export function drawPositions(rng: Rng, from: number, to: number, count: number): number[] {
  const pool = Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
  const k = Math.min(count, pool.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}
