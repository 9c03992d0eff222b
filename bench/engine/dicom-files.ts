// Bench data: Slices batches written as uncompressed CT DICOM series (explicit VR little endian,
// signed 16-bit HU, slope 1), one folder per scan, one file per slice: what dicom-series reads.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
/** VRs whose explicit-VR elements have a 4-byte length after two reserved bytes. */
const LONG_VRS = new Set(['OB', 'OW', 'UN', 'SQ', 'UT']);

/** One element: tag as 'ggggeeee' (hex), VR, value (strings padded to even length). */
function element(tag: string, vr: string, value: string | number | Uint8Array): Buffer {
  let body: Buffer;
  if (typeof value === 'number') body = vr === 'UL' ? Buffer.alloc(4) : Buffer.alloc(2);
  else if (typeof value === 'string') body = Buffer.from(value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value, 'latin1');
  else body = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'number') (vr === 'UL' ? body.writeUInt32LE(value) : body.writeUInt16LE(value));
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
  head.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return Buffer.concat([head, body]);
}

/** A Part 10 file of one slice. */
function sliceFile(series: string, instance: number, rows: number, cols: number, zMm: number, pixelMm: number, pixels: Uint8Array): Buffer {
  const sop = `${series}.${instance}`;
  const meta = Buffer.concat([
    element('00020001', 'OB', new Uint8Array([0, 1])),
    element('00020002', 'UI', CT_IMAGE_STORAGE),
    element('00020003', 'UI', sop),
    element('00020010', 'UI', EXPLICIT_LE),
  ]);
  const data = [
    element('00080008', 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    element('00080016', 'UI', CT_IMAGE_STORAGE),
    element('00080018', 'UI', sop),
    element('00080060', 'CS', 'CT'),
    element('0020000d', 'UI', series),
    element('0020000e', 'UI', series),
    element('00200013', 'IS', String(instance)),
    element('00200032', 'DS', `0\\0\\${zMm.toFixed(3)}`),
    element('00200037', 'DS', '1\\0\\0\\0\\1\\0'),
    element('00280002', 'US', 1),
    element('00280004', 'CS', 'MONOCHROME2'),
    element('00280010', 'US', rows),
    element('00280011', 'US', cols),
    element('00280030', 'DS', `${pixelMm.toFixed(4)}\\${pixelMm.toFixed(4)}`),
    element('00280100', 'US', 16),
    element('00280101', 'US', 16),
    element('00280102', 'US', 15),
    element('00280103', 'US', 1),
    element('00281052', 'DS', '0'),
    element('00281053', 'DS', '1'),
    element('7fe00010', 'OW', pixels),
  ];
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), element('00020000', 'UL', meta.length), meta, ...data]);
}

/**
 * Write every scan of `batches` under `dir`/<scan_id>/<slice_index>.dcm; returns the slice count.
 * The k-th scan written is series 2.25.(firstSeries + k): a later call adding series to the folder
 * passes the next number.
 */
export async function writeDicomSeries(dir: string, batches: AsyncIterable<RecordBatch>, firstSeries = 1): Promise<number> {
  let written = 0, scan = firstSeries - 1;
  for await (const batch of batches) {
    const series = `2.25.${++scan}`;
    for (const row of batch) {
      const folder = join(dir, String(row.scan_id));
      await mkdir(folder, { recursive: true });
      const z = row.position_mm ?? row.slice_index;
      const file = sliceFile(series, row.slice_index + 1, row.height, row.width, z, row.pixel_mm ?? 0.7, row.pixels);
      await writeFile(join(folder, `${row.slice_index}.dcm`), file);
      written++;
    }
  }
  return written;
}
