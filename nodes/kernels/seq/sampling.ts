// Slice draws for the sequence models (paper §3.1). LSTM: `length` slices drawn at random from the
// whole scan and kept in slice order ("randomly selected and sorted"); a scan with fewer slices
// gives all of them (the model pads and masks). Swin: exactly `length` slices in slice order: all
// of them plus random draws from all slices (with replacement) when the scan has fewer, else
// `length` of them without replacement. The trainers call these for a fresh draw every epoch.
import type { Rng } from '../../../engine/rng.js';

export const SEQ_MODES = ['lstm', 'swin'] as const;
export type SeqMode = (typeof SEQ_MODES)[number];

/** The paper's lengths: 120 slices for the LSTM, 224 for the Swin image. */
export const DEFAULT_LENGTH: Record<SeqMode, number> = { lstm: 120, swin: 224 };

/** `k` distinct positions of [0, n), uniformly (partial Fisher–Yates), ascending. */
function choose(n: number, k: number, rng: Rng): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (n - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.subarray(0, k).sort();
}

/** LSTM draw from `slices` (ascending slice indices): `length` of them without replacement, in order; all when fewer. */
export function drawSubset(slices: Int32Array, length: number, rng: Rng): Int32Array {
  if (slices.length <= length) return slices.slice();
  return choose(slices.length, length, rng).map((p) => slices[p]);
}

/** Swin draw: exactly `length` slices in order; all of them plus uniform draws with replacement when fewer. */
export function drawFilled(slices: Int32Array, length: number, rng: Rng): Int32Array {
  const n = slices.length;
  if (n === 0) throw new Error('drawFilled: a scan with no slices cannot fill a draw');
  if (n >= length) return drawSubset(slices, length, rng);
  const picks = new Int32Array(length);
  for (let i = 0; i < n; i++) picks[i] = i;
  for (let i = n; i < length; i++) picks[i] = Math.floor(rng() * n);
  return picks.sort().map((p) => slices[p]);
}

export function draw(mode: SeqMode, slices: Int32Array, length: number, rng: Rng): Int32Array {
  return mode === 'lstm' ? drawSubset(slices, length, rng) : drawFilled(slices, length, rng);
}
