// Model weights as an Arrow table (nodes/tables.ts `Weights`: name, shape, dtype, little-endian
// bytes; one row per tensor), to and from TensorFlow.js models.
import type { RecordBatch } from 'apache-arrow';
import type * as TFJS from '@tensorflow/tfjs';
import { makeBatch } from '../../../engine/ports.js';
import { Weights } from '../../tables.js';

export type WeightDType = 'float32' | 'int32';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: WeightDType;
  data: Float32Array | Int32Array;
}

/** The part of a tfjs LayersModel used here: its variables, named by `originalName` (layer/weight). */
export interface ModelWithWeights {
  readonly weights: readonly {
    readonly originalName: string;
    readonly shape: readonly (number | null)[];
    readonly dtype: string;
    read(): TFJS.Tensor;
    write(value: TFJS.Tensor): unknown;
  }[];
}

const numel = (shape: readonly (number | null)[]) => shape.reduce<number>((a, b) => a * (b ?? 0), 1);

export function entriesToBatch(entries: readonly WeightEntry[]): RecordBatch {
  return makeBatch(Weights, {
    name: entries.map((e) => e.name),
    shape: entries.map((e) => e.shape),
    dtype: entries.map((e) => e.dtype),
    bytes: entries.map((e) => new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength)),
  });
}

/** Rows of a Weights batch, checked: known dtype, byte count matching the shape. `source` names the table in errors. */
export function batchToEntries(batch: RecordBatch, source = 'weights table'): WeightEntry[] {
  const col = (name: string) => {
    const c = batch.getChild(name);
    if (!c) throw new Error(`${source}: no "${name}" column; a weights table has name, shape, dtype, bytes`);
    return c;
  };
  const [names, shapes, dtypes, bytes] = ['name', 'shape', 'dtype', 'bytes'].map(col);
  return Array.from({ length: batch.numRows }, (_, i) => {
    const name = names.get(i) as string;
    const shape = Array.from(shapes.get(i) as Iterable<number>);
    const dtype = dtypes.get(i) as string;
    const raw = bytes.get(i) as Uint8Array;
    if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`${source}: tensor "${name}" has dtype "${dtype}"; only float32 and int32 are stored`);
    if (raw.byteLength !== numel(shape) * 4) {
      throw new Error(`${source}: tensor "${name}" has ${raw.byteLength} bytes but shape [${shape}] needs ${numel(shape) * 4}; the table is corrupt or was written by another tool`);
    }
    const copy = raw.slice().buffer;
    return { name, shape, dtype, data: dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy) };
  });
}

/** A model's weights (or named tensors) as a Weights batch, read asynchronously (WebGPU cannot read synchronously). */
export async function weightsToBatch(source: ModelWithWeights | TFJS.NamedTensorMap): Promise<RecordBatch> {
  const named: [string, TFJS.Tensor][] = isModel(source)
    ? source.weights.map((w) => [w.originalName, w.read()])
    : Object.entries(source);
  const entries: WeightEntry[] = [];
  for (const [name, t] of named) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`weight "${name}" has dtype ${t.dtype}; only float32 and int32 weights can be stored`);
    entries.push({ name, shape: t.shape, dtype: t.dtype, data: (await t.data()) as Float32Array | Int32Array });
  }
  return entriesToBatch(entries);
}

/** Float32 tensors of a map (parameters, optimizer moments) as weight entries named `prefix` + key, in map order, read asynchronously. */
export async function tensorEntries(map: ReadonlyMap<string, TFJS.Tensor>, prefix = ''): Promise<WeightEntry[]> {
  const out: WeightEntry[] = [];
  for (const [name, t] of map) out.push({ name: prefix + name, shape: t.shape, dtype: 'float32', data: (await t.data()) as Float32Array });
  return out;
}

/**
 * Assign a Weights batch to a model's variables, matched by name. Every mismatch is reported at
 * once: tensors the table lacks, tensors the model lacks, shape or dtype differences.
 */
export async function loadWeightsInto(model: ModelWithWeights, batch: RecordBatch, source = 'weights table'): Promise<void> {
  const rows = new Map(batchToEntries(batch, source).map((e) => [e.name, e]));
  const vars = new Map(model.weights.map((w) => [w.originalName, w]));
  const missing = [...vars.keys()].filter((n) => !rows.has(n));
  const extra = [...rows.keys()].filter((n) => !vars.has(n));
  const differ = [...vars].flatMap(([n, v]) => {
    const e = rows.get(n);
    if (!e) return [];
    if (e.shape.join() !== v.shape.join()) return [`${n} is [${e.shape}] in the table but [${v.shape}] in the model`];
    return e.dtype !== v.dtype ? [`${n} is ${e.dtype} in the table but ${v.dtype} in the model`] : [];
  });
  if (vars.size !== model.weights.length) throw new Error('the model has two weights with one name: give its layers unique names');
  if (missing.length || extra.length || differ.length) {
    const parts = [
      missing.length ? `missing from the table: ${missing.join(', ')}` : '',
      extra.length ? `not in the model: ${extra.join(', ')}` : '',
      differ.length ? `mismatched: ${differ.join('; ')}` : '',
    ].filter(Boolean);
    throw new Error(`${source} does not fit the model (${parts.join('; ')}): load weights saved from the same architecture with the same layer names`);
  }
  const tf = await import('@tensorflow/tfjs');
  for (const [name, v] of vars) {
    const e = rows.get(name)!;
    const t = tf.tensor(e.data, e.shape, e.dtype);
    v.write(t);
    t.dispose();
  }
}

function isModel(x: ModelWithWeights | TFJS.NamedTensorMap): x is ModelWithWeights {
  return Array.isArray((x as ModelWithWeights).weights);
}
