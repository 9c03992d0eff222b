// Seeds for TensorFlow.js randomness, derived from a string seed (engine/rng.ts), so that training
// is reproducible on one backend: every initializer and random op gets its own explicit seed.
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';

type TF = typeof TFJS;
type Initializer = ReturnType<TF['initializers']['glorotUniform']>;

/** Kernel initializers that take a seed (variance scaling and orthogonal). */
export type SeededInit = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'leCunNormal' | 'leCunUniform' | 'orthogonal';

export interface Seeder {
  /**
   * The next integer seed, for tf.randomUniform/randomNormal/dropout(…, seed) and layers' `seed`
   * arguments. Draw a fresh one per call: TensorFlow.js repeats the same numbers for the same seed
   * (a Dropout layer built with a fixed seed drops the same units at every step).
   */
  next(): number;
  /** An initializer of `kind` with its own seed (the same kind twice gives different weights). */
  init(kind: SeededInit): Initializer;
}

export function seeder(tf: TF, seed: string | number): Seeder {
  const rng = rngFrom(seed);
  const next = () => Math.floor(rng() * 2 ** 31);
  return { next, init: (kind) => tf.initializers[kind]({ seed: next() }) };
}
