// Source: realistic, seeded synthetic chest CT scans (one Slices batch per scan). The anatomy model
// is described in docs/synthetic-ct.md; the generator lives in nodes/kernels/synthetic/.
import { endianness } from 'node:os';
import { Binary, makeData, RecordBatch, Struct, vectorFromArray, type DataType } from '../engine/arrow.js';
import { rngFrom } from '../engine/rng.js';
import { defineNode } from '../engine/types.js';
import { generateScan } from './kernels/synthetic/scan.js';
import { syntheticScanId, syntheticScans } from './kernels/synthetic/scans.js';
import { Slices } from './tables.js';

export interface SyntheticCtParams {
  /** Number of scans. */
  scans: number;
  /** [min, max] slices per scan (uniform; real scans have 50–700). */
  slices: [number, number];
  /** Matrix size (pixels per side). */
  size: 64 | 128 | 256 | 512 | 768;
  /** Fraction of positive scans (label 1: ground-glass findings). */
  positive: number;
  /** Size of the ground-glass patches relative to the realistic mix (1); larger is easier to learn. */
  extent: number;
  /** Fractions of train / validation / test scans (normalised by their sum). */
  splits: { train: number; validation: number; test: number };
  /** Scan ids are prefix + the scan index, zero-padded to 4 digits. */
  prefix: string;
}

// Labels and splits follow the R2 low-discrepancy sequence (plastic number): scan k's values do not
// depend on how many scans there are, and any run of consecutive scans is close to the fractions
// asked for, jointly in label × split.
const G = 1.324717957244746;
const frac = (x: number) => x - Math.floor(x);

/** Label and split of scan k under graph seed `seed`. */
export function assignment(seed: number, k: number, positive: number, splits: SyntheticCtParams['splits']) {
  const rng = rngFrom(`${seed}:assign`);
  const o1 = rng(), o2 = rng();
  const u = frac(o1 + (k + 1) / G), v = frac(o2 + (k + 1) / (G * G));
  const total = splits.train + splits.validation + splits.test;
  const split = v * total < splits.train ? 'train' : v * total < splits.train + splits.validation ? 'validation' : 'test';
  return { label: (u < positive ? 1 : 0) as 0 | 1, split };
}

/**
 * A Slices batch whose pixels column wraps the scan's int16 buffer without copying it (one
 * `sliceBytes` value per row); the other columns are built from plain arrays.
 */
function slicesBatch(pixels: Int16Array, sliceBytes: number, columns: Record<string, unknown[]>): RecordBatch {
  const bytes = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  if (endianness() === 'BE') bytes.swap16();
  const n = pixels.byteLength / sliceBytes;
  const valueOffsets = Int32Array.from({ length: n + 1 }, (_, i) => i * sliceBytes);
  const fields = Slices.schema.fields;
  const children = fields.map((f) =>
    f.name === 'pixels'
      ? makeData({ type: new Binary(), length: n, nullCount: 0, valueOffsets, data: bytes })
      : vectorFromArray(columns[f.name], f.type as DataType).data[0]);
  return new RecordBatch(Slices.schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
}

export default defineNode<SyntheticCtParams>(import.meta.url, {
  kind: 'synthetic-ct',
  version: 1,
  description: 'Seeded synthetic chest CT scans (anatomy, table, FOV, noise; ground glass in positives) as int16 HU slices, one batch per scan.',
  mode: 'source',
  random: true,
  params: {
    scans: { type: 'integer', minimum: 1, default: 40, description: 'number of scans' },
    slices: {
      type: 'array', items: { type: 'integer', minimum: 2, maximum: 2000 }, minItems: 2, maxItems: 2, default: [50, 120],
      description: '[min, max] slices per scan, drawn uniformly',
    },
    size: { type: 'integer', enum: [64, 128, 256, 512, 768], default: 512, description: 'matrix size in pixels' },
    positive: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'fraction of positive (label 1) scans' },
    extent: {
      type: 'number', minimum: 0.25, maximum: 4, default: 1,
      description: 'scales the ground-glass patches (radii in x, y, z) of positive scans: 1 is the realistic mix, 2–3 diffuse disease that a small CNN at 64² can learn',
    },
    splits: {
      type: 'object',
      properties: { train: { type: 'number', minimum: 0 }, validation: { type: 'number', minimum: 0 }, test: { type: 'number', minimum: 0 } },
      required: ['train', 'validation', 'test'],
      additionalProperties: false,
      default: { train: 0.7, validation: 0.15, test: 0.15 },
      description: 'fractions of scans per split, normalised by their sum',
    },
    prefix: { type: 'string', pattern: '^[A-Za-z0-9_.-]*$', default: 'syn-', description: 'scan id prefix' },
  },
  example: { scans: 2, slices: [8, 12], size: 64 },
  check: ({ slices, splits }) => {
    if (slices[0] > slices[1]) return { param: 'slices', message: `[${slices.join(', ')}] has min > max`, hint: `write it as [${slices[1]}, ${slices[0]}]` };
    if (!(splits.train + splits.validation + splits.test > 0)) {
      return { param: 'splits', message: 'fractions sum to 0', hint: 'give at least one split a positive fraction, e.g. { train: 0.7, validation: 0.15, test: 0.15 }' };
    }
    return undefined;
  },
  outputs: { slices: Slices },
  scans: syntheticScans,
  scanSetParams: ['scans'],
  async *run(ctx) {
    const { scans, slices, size, positive, extent, splits, prefix } = ctx.params;
    const only = ctx.scans && new Set(ctx.scans);
    for (let k = 0; k < scans; k++) {
      if (only && !only.has(syntheticScanId(prefix, k))) continue;
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      const { label, split } = assignment(ctx.seed, k, positive, splits);
      const scan = generateScan(`${ctx.seed}:${k}`, label, slices, size, extent);
      const n = scan.z.length, id = syntheticScanId(prefix, k);
      const rows = <T>(v: T) => new Array<T>(n).fill(v);
      ctx.progress(k + 1, scans);
      yield {
        slices: slicesBatch(scan.pixels, size * size * 2, {
          scan_id: rows(id),
          split: rows(split),
          label: rows(label),
          slice_index: scan.z.map((_, i) => i),
          height: rows(size),
          width: rows(size),
          position_mm: scan.z.map((z) => scan.acquisition.origin - z),
          pixel_mm: rows(scan.pixelMm),
        }),
      };
    }
  },
});
