// Test-only stream node: multiply every pixel by `factor` (saturating int16).
import type { RecordBatch } from 'apache-arrow';
import { defineNode } from '../../engine/types.js';
import { makeBatch } from '../../engine/ports.js';
import { Slices } from '../../nodes/tables.js';

export function mapPixels(batch: RecordBatch, f: (v: number) => number): RecordBatch {
  const cols: Record<string, unknown[]> = {};
  for (const field of Slices.schema.fields) cols[field.name] = batch.getChild(field.name)!.toArray() as unknown[];
  cols.scan_id = Array.from(batch.getChild('scan_id')!);
  cols.split = Array.from(batch.getChild('split')!);
  cols.label = Array.from(batch.getChild('label')!);
  cols.position_mm = Array.from(batch.getChild('position_mm')!);
  cols.pixel_mm = Array.from(batch.getChild('pixel_mm')!);
  cols.pixels = Array.from(batch.getChild('pixels')!, (bytes: Uint8Array) => {
    const src = new Int16Array(bytes.slice().buffer);
    const out = new Int16Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(f(src[i]))));
    return new Uint8Array(out.buffer);
  });
  return makeBatch(Slices, cols as Record<string, ArrayLike<unknown>>);
}

export default defineNode<{ factor: number; jitterMs: number }>(import.meta.url, {
  kind: 'scale',
  version: 1,
  description: 'multiply pixels by a factor',
  mode: 'stream',
  params: {
    factor: { type: 'number', default: 2 },
    jitterMs: { type: 'integer', minimum: 0, default: 0, description: 'delay early scans longer, so work finishes out of order' },
  },
  example: { factor: 3 },
  inputs: { slices: Slices },
  outputs: { slices: Slices },
  run: async (ctx, { slices }) => {
    if (ctx.params.jitterMs) {
      const scan = Number(String(slices.getChild('scan_id')!.get(0)).replace(/\D/g, ''));
      await new Promise((r) => setTimeout(r, ctx.params.jitterMs * Math.max(0, 5 - scan)));
    }
    return { slices: mapPixels(slices, (v) => v * ctx.params.factor) };
  },
});
