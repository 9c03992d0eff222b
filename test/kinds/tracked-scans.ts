// Test-only source: toy scans whose pixel bytes live in a TrackedBuffer, an ArrayBuffer subclass
// that v8.queryObjects counts after a full collection. Before every 4th scan (a count costs a full
// collection) it records how many such buffers are alive, so a test sees how many batches the
// engine and the store hold at once.
import { queryObjects } from 'node:v8';
import type { RecordBatch } from 'apache-arrow';
import { Binary, makeData, RecordBatch as Batch } from '../../engine/arrow.js';
import { defineNode } from '../../engine/types.js';
import { Slices } from '../../nodes/tables.js';
import { toyScanParams, toySlices, type P } from './toy-scans.js';

export class TrackedBuffer extends ArrayBuffer {}

/** Live TrackedBuffers counted before scans 0, 4, 8, … of the last run. */
export const liveBefore: number[] = [];

/** `batch` with its pixel bytes copied into a TrackedBuffer (the batch then owns that buffer). */
export function tracked(batch: RecordBatch): RecordBatch {
  const at = batch.schema.fields.findIndex((f) => f.name === 'pixels');
  const children = batch.data.children.map((c, i) => {
    if (i !== at) return c;
    const bytes = new Uint8Array(new TrackedBuffer(c.values.byteLength));
    bytes.set(c.values);
    return makeData({ type: new Binary(), length: c.length, nullCount: 0, valueOffsets: c.valueOffsets, data: bytes });
  });
  return new Batch(Slices.schema, makeData({ type: batch.data.type, length: batch.numRows, nullCount: 0, children }));
}

export default defineNode<P>(import.meta.url, {
  kind: 'tracked-scans',
  version: 1,
  description: 'toy scans in counted buffers, for memory tests',
  mode: 'source',
  params: toyScanParams,
  example: { scans: 2, slices: 3, size: 4 },
  outputs: { slices: Slices },
  async *run(ctx) {
    liveBefore.length = 0;
    for (let s = 0; s < ctx.params.scans; s++) {
      if (s % 4 === 0) liveBefore.push(queryObjects(TrackedBuffer, { format: 'count' }));
      yield { slices: tracked(toySlices(`scan-${s}`, ctx.params.slices, ctx.params.size, `tracked:${s}`)) };
    }
  },
});
