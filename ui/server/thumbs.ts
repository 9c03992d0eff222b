// Slice thumbnails as PNG: a slice of a scan's stored source slices (found through its run's
// window output: the batch of the scan, checked by scan id), mapped through an HU window to grey
// levels and scaled to a small square. The last scan read is kept, so a strip of thumbnails
// decodes its batch once.
import type { RecordBatch } from '../../engine/arrow.js';
import type { RunData } from '../../engine/report/run-data.js';
import { Refused } from './context.js';
import { scanWindows, sliceOrder } from './scan-data.js';

const THUMB = 96;
export const LUNG_WINDOW = { level: -600, width: 1500 };

let last: { id: string; batch: RecordBatch } | undefined;

/** Slices of `scan` in slice order, from the first window output that has stored source slices. */
async function scanSlices(data: RunData, scan: string): Promise<RecordBatch> {
  const w = (await scanWindows(data, scan)).find((x) => x.slices);
  if (!w) throw new Refused(404, `run ${data.record.id} has no stored slices for scan "${scan}"`);
  const id = `${data.record.nodes[w.slices!.node].key}:${w.slices!.port}:${w.batch}`;
  if (last?.id === id) return last.batch;
  let batch: RecordBatch | undefined;
  await data.batches(w.slices!, (b) => { batch = b; }, w.batch, w.batch + 1);
  if (!batch || String(batch.getChild('scan_id')!.get(0)) !== scan) throw new Refused(404, `the stored slices of run ${data.record.id} are not one batch per scan in step with its windows`);
  last = { id, batch };
  return batch;
}

export async function thumbnail(data: RunData, scan: string, position: number, level: number, width: number): Promise<Buffer> {
  const batch = await scanSlices(data, scan);
  const order = sliceOrder(batch);
  const row = order[position];
  if (row === undefined) throw new Refused(404, `scan "${scan}" has ${order.length} slices, not ${position + 1}`);
  const h = Number(batch.getChild('height')!.get(row)), w = Number(batch.getChild('width')!.get(row));
  const bytes = batch.getChild('pixels')!.get(row) as Uint8Array;
  const hu = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + h * w * 2));
  const grey = Buffer.alloc(h * w);
  const lo = level - width / 2;
  for (let i = 0; i < grey.length; i++) grey[i] = Math.max(0, Math.min(255, Math.round(((hu[i] - lo) / width) * 255)));
  const { default: sharp } = await import('sharp');
  return sharp(grey, { raw: { width: w, height: h, channels: 1 } }).resize(THUMB, THUMB, { fit: 'contain', background: '#000' }).png().toBuffer();
}
