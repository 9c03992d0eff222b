// Test data for the CNN kinds: synthetic-ct scans through the paper's lung-area chain (cropper →
// median-filter → threshold → binary-dilation → area-window), each kind run through run() with
// its default params, kept in memory as one batch per scan.
import type { RecordBatch } from 'apache-arrow';
import type { NodeDef, Outputs } from '../../../engine/types.js';
import areaWindow from '../../../nodes/area-window.js';
import binaryDilation from '../../../nodes/binary-dilation.js';
import cropper from '../../../nodes/cropper.js';
import medianFilter from '../../../nodes/median-filter.js';
import syntheticCt, { type SyntheticCtParams } from '../../../nodes/synthetic-ct.js';
import threshold from '../../../nodes/threshold.js';
import { generateScan } from '../../../nodes/kernels/synthetic/scan.js';
import { makeBatch } from '../../../engine/ports.js';
import { Slices } from '../../../nodes/tables.js';
import { testContext } from '../../helpers/context.js';

const defaults = (def: NodeDef) => Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default]));

async function stream(def: NodeDef, inputs: Record<string, RecordBatch>): Promise<Outputs> {
  if (def.mode !== 'stream') throw new Error(`${def.kind} is not a stream kind`);
  return def.run(testContext(defaults(def), { id: def.kind }), inputs);
}

export interface ScanTables { slices: RecordBatch[]; windows: RecordBatch[] }

/** The lung-area chain on one scan's slices: cropped slices and the area window. */
async function chain(slices: RecordBatch, out: ScanTables): Promise<void> {
  const crop = await stream(cropper, { slices });
  const median = await stream(medianFilter, { slices: crop.slices });
  const mask = await stream(threshold, { slices: median.slices });
  const lung = await stream(binaryDilation, { masks: mask.masks });
  out.slices.push(crop.slices);
  out.windows.push((await stream(areaWindow, { areas: lung.areas })).windows);
}

/**
 * Training scans in pairs: each synthetic patient drawn twice, without and with ground glass (the
 * generator's label only switches the finding on), so that nothing but the finding tells the labels apart.
 */
export async function pairedScans(patients: number, slices: [number, number], size: number, seed: string): Promise<ScanTables> {
  const out: ScanTables = { slices: [], windows: [] };
  for (let k = 0; k < patients; k++) {
    for (const label of [0, 1] as const) {
      const scan = generateScan(`${seed}:${k}`, label, slices, size);
      const n = scan.z.length, area = size * size;
      const rows = <T>(v: T) => new Array<T>(n).fill(v);
      await chain(makeBatch(Slices, {
        scan_id: rows(`pair-${k}-${label}`), split: rows('train'), label: rows(label), slice_index: scan.z.map((_, i) => i),
        height: rows(size), width: rows(size), position_mm: rows(null), pixel_mm: rows(scan.pixelMm),
        pixels: scan.z.map((_, i) => new Uint8Array(scan.pixels.buffer, scan.pixels.byteOffset + i * area * 2, area * 2)),
      }), out);
    }
  }
  return out;
}

/** Cropped slices and area windows of synthetic scans (graph seed `seed`). */
export async function syntheticScans(params: Partial<SyntheticCtParams>, seed = 1): Promise<ScanTables> {
  if (syntheticCt.mode !== 'source') throw new Error('synthetic-ct must be a source kind');
  const out: ScanTables = { slices: [], windows: [] };
  for await (const { slices } of syntheticCt.run(testContext({ ...defaults(syntheticCt), ...params } as SyntheticCtParams, { seed }))) await chain(slices, out);
  return out;
}
