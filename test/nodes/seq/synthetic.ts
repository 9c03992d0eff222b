// Synthetic embeddings for the sequence-model tests: scans of 30–80 slices whose embeddings are
// Gaussian noise, positives carrying a fixed direction in a random third of their slices.
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import { gaussian, rngFrom } from '../../../engine/rng.js';
import { Embeddings } from '../../../nodes/tables.js';

export interface SyntheticOptions { scans: number; dim: number; validation: number; signal: number; seed: string }

export function syntheticEmbeddings(o: SyntheticOptions): RecordBatch[] {
  const rng = rngFrom(o.seed);
  const direction = Float32Array.from({ length: o.dim }, () => gaussian(rng));
  const norm = Math.hypot(...direction);
  return Array.from({ length: o.scans }, (_, s) => {
    const n = 30 + Math.floor(rng() * 51);
    const label = s % 2;
    const first = 1 + Math.floor(rng() * 5);                  // slice indices need not start at 0
    return makeBatch(Embeddings, {
      scan_id: Array(n).fill(`scan-${s}`),
      split: Array(n).fill(s < o.scans - o.validation ? 'train' : 'validation'),
      label: Array(n).fill(label),
      slice_index: Array.from({ length: n }, (_, i) => first + 2 * i),
      embedding: Array.from({ length: n }, () => {
        const lit = label === 1 && rng() < 1 / 3;
        return Float32Array.from(direction, (d) => gaussian(rng) + (lit ? (o.signal * d) / norm : 0));
      }),
      prob: Array(n).fill(0.5),
    });
  });
}
