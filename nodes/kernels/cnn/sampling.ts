// Which slices the CNN sees: per-scan metadata from the windows table (one small row per scan),
// slices read a scan at a time through the barrier reader and preprocessed on demand, with a small
// LRU of decoded scans. Window positions count slices in slice_index order.
import type { RecordBatch } from 'apache-arrow';
import type { Rng } from '../../../engine/rng.js';
import type { TableReader } from '../../../engine/types.js';
import { drawPositions } from '../eval/draws.js';
import { int16Pixels, preprocessSlice, type Preprocess } from './preprocess.js';

export interface ScanMeta {
  /** Batch index in both input tables. */
  batch: number;
  scanId: string;
  split: string;
  label: number | null;
  nSlices: number;
  start: number;
  end: number;
}

const col = (b: RecordBatch, name: string, who: string) => {
  const c = b.getChild(name);
  if (!c) throw new Error(`${who}: input has no column "${name}"; connect a table that carries it`);
  return c;
};

/** One ScanMeta per windows batch (one row per scan), checked against the slices table's batch count. */
export async function scanIndex(windows: TableReader, slices: TableReader, who: string): Promise<ScanMeta[]> {
  if (windows.numBatches !== slices.numBatches) {
    throw new Error(`${who}: the windows table has ${windows.numBatches} scans but the slices table has ${slices.numBatches}; feed both from the same scans (the windows from the lung-area chain over these slices)`);
  }
  const out: ScanMeta[] = [];
  for (let i = 0; i < windows.numBatches; i++) {
    const b = await windows.batch(i);
    if (b.numRows !== 1) throw new Error(`${who}: windows batch ${i} has ${b.numRows} rows; a windows table has one row per scan and one scan per batch (use area-window's output)`);
    const get = (name: string) => col(b, name, who).get(0);
    const meta: ScanMeta = {
      batch: i, scanId: String(get('scan_id')), split: String(get('split')), label: get('label') as number | null,
      nSlices: Number(get('n_slices')), start: Number(get('start')), end: Number(get('end')),
    };
    if (!(meta.start >= 0 && meta.start <= meta.end && meta.end <= meta.nSlices)) {
      throw new Error(`${who}: scan "${meta.scanId}" has the window [${meta.start}, ${meta.end}) outside its ${meta.nSlices} slices; recompute the windows`);
    }
    out.push(meta);
  }
  return out;
}

interface Decoded { ids: string[]; order: number[]; heights: Int32Array; widths: Int32Array; pixels: { get(i: number): Uint8Array | null } }

/** Reads scans' slices through `reader` and preprocesses chosen positions; keeps the last `keep` scans decoded. */
export class SliceSource {
  private readonly cache = new Map<number, Promise<Decoded>>();

  constructor(private readonly reader: TableReader, private readonly pre: Preprocess, private readonly who: string, private readonly keep = 4) {}

  private scan(meta: ScanMeta): Promise<Decoded> {
    let d = this.cache.get(meta.batch);
    if (d) {
      this.cache.delete(meta.batch);
    } else {
      d = this.decode(meta);
      if (this.cache.size >= this.keep) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(meta.batch, d);
    return d;
  }

  private async decode(meta: ScanMeta): Promise<Decoded> {
    const b = await this.reader.batch(meta.batch);
    const ids = Array.from(col(b, 'scan_id', this.who) as Iterable<string>);
    const other = ids.find((id) => id !== meta.scanId);
    if (other !== undefined) {
      throw new Error(`${this.who}: slices batch ${meta.batch} holds scan "${other}" but windows row ${meta.batch} is scan "${meta.scanId}"; the slices and windows tables must list the same scans in the same order (feed the windows from these slices)`);
    }
    if (b.numRows !== meta.nSlices) {
      throw new Error(`${this.who}: scan "${meta.scanId}" has ${b.numRows} slices but its window row says n_slices = ${meta.nSlices}; compute the windows from these slices`);
    }
    const index = Array.from(col(b, 'slice_index', this.who) as Iterable<number>);
    const order = index.map((s, i) => [s, i]).sort((x, y) => x[0] - y[0]).map((x) => x[1]);
    return {
      ids, order,
      heights: Int32Array.from(col(b, 'height', this.who) as Iterable<number>),
      widths: Int32Array.from(col(b, 'width', this.who) as Iterable<number>),
      pixels: col(b, 'pixels', this.who) as unknown as Decoded['pixels'],
    };
  }

  /** Preprocessed slices at `positions` (in slice_index order) of the scan: positions.length × R² floats. */
  async images(meta: ScanMeta, positions: readonly number[]): Promise<Float32Array> {
    const d = await this.scan(meta);
    const r2 = this.pre.resolution ** 2;
    const out = new Float32Array(positions.length * r2);
    positions.forEach((pos, k) => {
      const row = d.order[pos];
      const h = d.heights[row], w = d.widths[row];
      const bytes = d.pixels.get(row);
      if (!bytes || bytes.byteLength !== h * w * 2 || h < 1 || w < 1) {
        throw new Error(`${this.who}: scan "${meta.scanId}" slice at position ${pos} has ${bytes?.byteLength ?? 0} bytes of pixels for ${h}×${w} int16 values; rerun the node that wrote the slices`);
      }
      preprocessSlice(int16Pixels(bytes), h, w, this.pre, out, k * r2);
    });
    return out;
  }
}

/**
 * `count` positions for one training batch from the window [start, end): without replacement when
 * the window is large enough, else every position once and the rest drawn again (a batch always
 * has `count` slices: BatchNorm statistics should not depend on window length).
 */
export function batchPositions(rng: Rng, start: number, end: number, count: number): number[] {
  if (end <= start) throw new Error(`no slices in the window [${start}, ${end})`);
  const out: number[] = [];
  while (out.length < count) out.push(...drawPositions(rng, start, end, count - out.length));
  return out;
}

/**
 * The training batches of one epoch, `steps` groups of `perBatch` scans: the scans shuffled, the
 * shuffle repeated as often as needed, and cut into consecutive groups.
 */
export function epochBatches<X>(rng: Rng, scans: readonly X[], steps: number, perBatch: number): X[][] {
  const order: X[] = [];
  while (order.length < steps * perBatch) {
    const perm = [...scans];
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    order.push(...perm);
  }
  return Array.from({ length: steps }, (_, i) => order.slice(i * perBatch, (i + 1) * perBatch));
}

/** How many of a batch's `slices` each of its `scans` scans gives (the first ones one more when it does not divide). */
export const shares = (slices: number, scans: number): number[] =>
  Array.from({ length: scans }, (_, i) => Math.floor(slices / scans) + (i < slices % scans ? 1 : 0));
