// Shared helpers of the sequence-model tests: the parity fixtures (test/fixtures/seq, written by
// make-parity.py) and the relative error they are checked with.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type NameMap } from '../../../nodes/kernels/tf/safetensors.js';
import type { WeightEntry } from '../../../nodes/kernels/tf/weights.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/seq');

export interface Fixture<C> { config: C; tensors: Map<string, WeightEntry> }

export function fixture<C>(name: string, map?: NameMap): Fixture<C> {
  const path = join(DIR, `${name}.safetensors`);
  const entries = readSafetensors(new Uint8Array(readFileSync(path)), { source: path, map });
  return { config: JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')), tensors: new Map(entries.map((e) => [e.name, e])) };
}

export { relErr } from '../../helpers/numeric.js';
