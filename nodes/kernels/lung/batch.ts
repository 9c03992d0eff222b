// Reading the lung chain's Arrow batches: columns by name, and per-row images with their sizes
// checked, so that a malformed table fails with the scan and slice it came from.
import type { RecordBatch } from 'apache-arrow';

/** Every value of a column (nulls kept), or an error naming the node and the column. */
export function column(batch: RecordBatch, name: string, who: string): unknown[] {
  const v = batch.getChild(name);
  if (!v) throw new Error(`${who}: input has no column "${name}"; connect a table that carries it`);
  return Array.from(v);
}

/** The per-scan columns every table carries, copied for an output with the same rows. */
export function scanColumns(batch: RecordBatch, who: string): Record<'scan_id' | 'split' | 'label' | 'slice_index', unknown[]> {
  return {
    scan_id: column(batch, 'scan_id', who),
    split: column(batch, 'split', who),
    label: column(batch, 'label', who),
    slice_index: column(batch, 'slice_index', who),
  };
}

export interface Image<T> { h: number; w: number; data: T }

/**
 * The images of a Slices (int16 `pixels`) or Masks (uint8 `mask`) batch, each checked against its
 * height × width. Int16 pixels are viewed in place when aligned, copied otherwise.
 */
export function images(batch: RecordBatch, field: 'pixels', who: string): Image<Int16Array>[];
export function images(batch: RecordBatch, field: 'mask', who: string): Image<Uint8Array>[];
export function images(batch: RecordBatch, field: 'pixels' | 'mask', who: string): Image<Int16Array | Uint8Array>[] {
  const ids = column(batch, 'scan_id', who), index = column(batch, 'slice_index', who);
  const hs = column(batch, 'height', who) as number[], ws = column(batch, 'width', who) as number[];
  const bytes = column(batch, field, who) as Uint8Array[];
  const size = field === 'pixels' ? 2 : 1;
  return bytes.map((b, i) => {
    const h = hs[i], w = ws[i];
    if (b.byteLength !== h * w * size) {
      throw new Error(`${who}: scan "${ids[i]}" slice ${index[i]} has ${b.byteLength} bytes of ${field}, but ${h}×${w}` +
        `${size === 2 ? '×2' : ''} = ${h * w * size} expected; the table that feeds it is malformed (rerun the node that wrote it)`);
    }
    if (size === 1) return { h, w, data: b };
    const data = b.byteOffset % 2 === 0 ? new Int16Array(b.buffer, b.byteOffset, h * w) : new Int16Array(b.slice().buffer);
    return { h, w, data };
  });
}

/** Bytes of a typed array, for a Binary column. */
export const bytesOf = (a: Int16Array | Uint8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
