// One scan's decoded slices → its Slices batch: grey levels go through the HU table straight into
// one contiguous little-endian int16 buffer that becomes the `pixels` column (no per-slice copy).
// The buffer is a plain ArrayBuffer, not shared memory: V8 counts it as external memory, so a dead
// scan is collected soon; a dead SharedArrayBuffer (read in place by the lung workers) waited for a
// full collection that its size did not hasten (30 scans: peak RSS 1.7 GB against 1.2; the lung
// pool's copy of each chunk into a worker's reused buffer costs less than that memory did). It comes
// from scanPixels, like the other sources' scans: a mapping of its own from 4 MiB up (scan-pixels.ts).
import { endianness } from 'node:os';
import { Binary, makeData, RecordBatch, Struct, vectorFromArray, type DataType } from '../../../engine/arrow.js';
import { Slices } from '../../tables.js';
import { scanPixels } from '../scan-pixels.js';
import { greyToHu } from './hu.js';
import type { ScanDir } from './layout.js';
import type { DecodedSlice } from './scan.js';

export function sliceBatch(scan: ScanDir, slices: readonly DecodedSlice[], table: Int16Array): RecordBatch {
  const n = slices.length;
  const valueOffsets = new Int32Array(n + 1);
  slices.forEach((s, i) => { valueOffsets[i + 1] = valueOffsets[i] + 2 * s.grey.length; });
  const hu = scanPixels(valueOffsets[n] / 2);
  slices.forEach((s, i) => greyToHu(s.grey, table, hu.subarray(valueOffsets[i] / 2, valueOffsets[i + 1] / 2)));
  const bytes = Buffer.from(hu.buffer, hu.byteOffset, hu.byteLength);
  if (endianness() === 'BE') bytes.swap16();
  const columns: Record<string, unknown[]> = {
    scan_id: Array(n).fill(scan.scanId),
    split: Array(n).fill(scan.split),
    label: Array(n).fill(scan.label),
    slice_index: slices.map((s) => s.index),
    height: slices.map((s) => s.height),
    width: slices.map((s) => s.width),
    position_mm: Array(n).fill(null),
    pixel_mm: Array(n).fill(null),
  };
  const fields = Slices.schema.fields;
  const children = fields.map((f) => f.name === 'pixels'
    ? makeData({ type: new Binary(), length: n, nullCount: 0, valueOffsets, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
    : vectorFromArray(columns[f.name], f.type as DataType).data[0]);
  return new RecordBatch(Slices.schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
}
