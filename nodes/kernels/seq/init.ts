// Parameter lists of the sequence models and their seeded initial values, as plain data (no
// TensorFlow.js): every tensor draws from its own generator (rngFor(`init:<name>`)).
import { gaussian, type Rng } from '../../../engine/rng.js';
import type { WeightEntry } from '../tf/weights.js';

/** torch's defaults: U(−bound, bound) (LSTM, Linear), N(0, std²) truncated at 2 std (Swin), or a constant (LayerNorm). */
export type Init = { uniform: number } | { normal: number } | { constant: number };

export interface ParamSpec { name: string; shape: number[]; init: Init }

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function initialEntries(specs: readonly ParamSpec[], rngFor: (label: string) => Rng): WeightEntry[] {
  return specs.map(({ name, shape, init }) => {
    const rng = rngFor(`init:${name}`);
    const draw = 'uniform' in init ? () => (2 * rng() - 1) * init.uniform
      : 'normal' in init ? () => { let v; do v = gaussian(rng); while (Math.abs(v) > 2); return v * init.normal; }
      : () => init.constant;
    return { name, shape, dtype: 'float32', data: Float32Array.from({ length: numel(shape) }, draw) };
  });
}
