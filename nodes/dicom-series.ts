// Source: a directory of DICOM files → one Slices batch per series (SeriesInstanceUID = scan_id).
// Planning groups the files into series from their headers (kernels/dicom/scans.ts, memoised by
// fingerprint), and each series is cached as a scan of its own. A run reads the files of one series
// at a time, each read once: its header parsed, then its pixels converted to int16 HU straight into the
// scan's buffer; the slices are then put in order along the slice normal. Memory is flat in the
// number of series (docs/memory.md). See docs/dicom.md.
import { resolve } from 'node:path';
import { Binary, makeData, RecordBatch, Struct, vectorFromArray, type DataType } from '../engine/arrow.js';
import { defineNode, type NodeContext, type ScanFiles } from '../engine/types.js';
import { readSlice } from './kernels/dicom/decode.js';
import { listFiles } from './kernels/dicom/files.js';
import { orderSlices, type Placed } from './kernels/dicom/geometry.js';
import { DicomFileError, ReadBuffer } from './kernels/dicom/header.js';
import { toHounsfield } from './kernels/dicom/hu.js';
import { dicomScans } from './kernels/dicom/scans.js';
import { scanPixels } from './kernels/scan-pixels.js';
import { Slices } from './tables.js';

export interface DicomSeriesParams {
  /** Directory of DICOM files; every series in it becomes one scan. */
  path: string;
  /** Split written on every scan. */
  split: 'train' | 'validation' | 'test';
  /** Label written on every scan (1 positive, 0 negative, null unknown). */
  label: 0 | 1 | null;
  /** A file (or series) that cannot be read: stop with its error, or record it and go on. */
  onError: 'fail' | 'skip';
  /** Look in sub-directories too. */
  recursive: boolean;
}

/** Every file the directory holds (fingerprinted into the key when the node is cached whole). */
export async function inputFiles(params: DicomSeriesParams): Promise<string[]> {
  return (await listFiles(resolve(params.path), params.recursive)).map((f) => f.file);
}

interface Skipped {
  file?: string;
  series?: string;
  reason: string;
}

interface ScanSummary {
  scan_id: string;
  slices: number;
  spacing_mm: number | null;
  clamped: number;
}

/** What one run met, noted for its record (per scan when cached per scan). */
interface Met {
  skipped: Skipped[];
  localizers: string[];
  nonImages: string[];
  scans: ScanSummary[];
  problem: (what: { file: string } | { series: string }, reason: string) => void;
}

async function* run(ctx: NodeContext<DicomSeriesParams>) {
  const met: Met = {
    skipped: [], localizers: [], nonImages: [], scans: [],
    problem: (what, reason) => {
      const subject = 'file' in what ? `file ${what.file}` : `series ${what.series}`;
      if (ctx.params.onError === 'fail') {
        throw new Error(`dicom-series node "${ctx.id}": ${subject}: ${reason}. Remove or repair it, or set onError: skip to record it and go on`);
      }
      met.skipped.push({ ...what, reason });
      ctx.log(`dicom-series: skipped ${subject} (${reason})`);
    },
  };
  try {
    // Cached per scan, the engine hands over the files planning grouped into the scan; cached
    // whole, every header is read to group them (only the file lists are kept, not the headers).
    let scans: ScanFiles[];
    if (ctx.scans?.length === 1 && ctx.scanFiles) scans = [{ id: ctx.scans[0], files: [...ctx.scanFiles] }];
    else {
      ctx.progress(0, 1, 'reading headers');
      scans = await dicomScans(ctx.params).catch((e: Error) => { throw new Error(`dicom-series node "${ctx.id}": ${e.message}`); });
      const only = ctx.scans && new Set(ctx.scans);
      if (only) scans = scans.filter((s) => only.has(s.id));
    }
    const read = new ReadBuffer();
    for (const [i, s] of scans.entries()) {
      const batch = await readSeries(ctx, s, met, read);
      ctx.progress(i + 1, scans.length, s.id);
      if (batch) yield { slices: batch };
    }
  } finally {
    if (met.nonImages.length) ctx.log(`dicom-series: ignored ${met.nonImages.length} DICOM file(s) without an image (e.g. ${met.nonImages[0]})`);
    if (met.localizers.length) ctx.log(`dicom-series: dropped ${met.localizers.length} localizer image(s) (ImageType LOCALIZER)`);
    ctx.note('scans', met.scans);
    ctx.note('skipped', met.skipped);
    ctx.note('localizers', met.localizers);
    ctx.note('nonImageFiles', met.nonImages);
  }
}

/** A slice read, where ordering needs it. */
interface Slice extends Placed {
  pixelMm: number | null;
}

/**
 * One series as a Slices batch, or null when nothing of it could be read. Each file is read once
 * into `read` (one buffer for the run, grown to the largest file: header and pixels from one read);
 * its HU go straight into the next free slice of the scan's buffer (in file order), which is then
 * put in slice order in place and becomes the pixels column: no array per slice, no copy of the
 * scan (issue 23). The scan's buffer is a mapping of its own (scanPixels), so its memory is the
 * system's again once the scan is collected. An ArrayBuffer, not shared memory: a dead
 * SharedArrayBuffer waits for a full collection that its size does not hasten (V8 does not count
 * it as external memory), and held ≈ 50 MiB more in the lung graph.
 */
async function readSeries(ctx: NodeContext<DicomSeriesParams>, s: ScanFiles, met: Met, read: ReadBuffer): Promise<RecordBatch | null> {
  const slices: Slice[] = [];
  let pixels: Int16Array | undefined;
  let height = 0, width = 0, clamped = 0;
  for (const file of s.files) {
    ctx.signal.throwIfAborted();
    let got;
    try {
      got = await readSlice(file, read);
    } catch (e) {
      if (!(e instanceof DicomFileError)) throw e;
      met.problem({ file }, e.reason);
      continue;
    }
    const { h, decoded } = got;
    if (!h) met.nonImages.push(file);
    else if (!decoded) met.localizers.push(file);
    else if (h.seriesUid !== s.id) {
      met.problem({ file }, `its SeriesInstanceUID is ${h.seriesUid}, not ${s.id} as when the run was planned: it changed while the run read it; rerun`);
    } else {
      if (!pixels) {
        ({ rows: height, cols: width } = h);
        pixels = scanPixels(s.files.length * height * width);
      } else if (h.rows !== height || h.cols !== width) {
        met.problem({ series: s.id }, `slices differ in size: ${slices[0].file} is ${height}×${width}, ${file} is ${h.rows}×${h.cols}`);
        return null;
      }
      const at = slices.length * height * width;
      clamped += toHounsfield(decoded.samples, h.pixel, decoded.shift, pixels.subarray(at, at + height * width)).clamped;
      slices.push({ file, position: h.position, orientation: h.orientation, instanceNumber: h.instanceNumber, pixelMm: h.pixelMm });
    }
  }
  if (!pixels || slices.length === 0) return null;
  let ordering;
  try {
    ordering = orderSlices(slices);
  } catch (e) {
    met.problem({ series: s.id }, (e as Error).message);
    return null;
  }
  for (const w of ordering.warnings) ctx.log(`dicom-series: series ${s.id}: ${w}`);
  if (clamped > 0) ctx.log(`dicom-series: series ${s.id}: ${clamped} pixel(s) outside int16 after rescale were clamped`);
  const n = slices.length;
  permuteSlices(pixels, ordering.order, height * width);
  met.scans.push({ scan_id: s.id, slices: n, spacing_mm: ordering.spacing, clamped });
  const { split, label } = ctx.params;
  // int16 little endian: the host order of every platform Node runs on here (x64, arm64)
  const bytes = new Uint8Array(pixels.buffer, 0, n * height * width * 2);
  return slicesBatch(bytes, Int32Array.from({ length: n + 1 }, (_, i) => i * height * width * 2), {
    scan_id: Array(n).fill(s.id),
    split: Array(n).fill(split),
    label: Array(n).fill(label),
    slice_index: slices.map((_, i) => i),
    height: Array(n).fill(height),
    width: Array(n).fill(width),
    position_mm: ordering.positions,
    pixel_mm: ordering.order.map((k) => slices[k].pixelMm),
  });
}

/** Put slices in order in place: slice j becomes what slice order[j] was (cycles, one slice of room). */
export function permuteSlices(pixels: Int16Array, order: readonly number[], size: number): void {
  const placed = new Uint8Array(order.length);
  const room = new Int16Array(size);
  for (let start = 0; start < order.length; start++) {
    if (placed[start]) continue;
    placed[start] = 1;
    if (order[start] === start) continue;
    room.set(pixels.subarray(start * size, (start + 1) * size));
    for (let j = start; ;) {
      const from = order[j];
      placed[j] = 1;
      if (from === start) {
        pixels.set(room, j * size);
        break;
      }
      pixels.copyWithin(j * size, from * size, (from + 1) * size);
      j = from;
    }
  }
}

/** A Slices batch whose pixels column is `bytes` itself (no copy), the other columns from arrays. */
function slicesBatch(bytes: Uint8Array, valueOffsets: Int32Array, columns: Record<string, unknown[]>): RecordBatch {
  const n = valueOffsets.length - 1, fields = Slices.schema.fields;
  const children = fields.map((f) => f.name === 'pixels'
    ? makeData({ type: new Binary(), length: n, nullCount: 0, valueOffsets, data: bytes })
    : vectorFromArray(columns[f.name], f.type as DataType).data[0]);
  return new RecordBatch(Slices.schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
}

export default defineNode<DicomSeriesParams>(import.meta.url, {
  kind: 'dicom-series',
  version: 1,
  description: 'Reads a directory of DICOM files: one scan per SeriesInstanceUID (localizers dropped), slices ordered ' +
    'along the slice normal, pixels as int16 HU (padding → -3024, out-of-range values clamped); native, deflated, ' +
    'big endian, RLE, JPEG lossless, JPEG-LS and JPEG 2000 transfer syntaxes',
  mode: 'source',
  params: {
    path: { type: 'string', minLength: 1, description: 'directory of DICOM files; each series in it becomes one scan' },
    split: { enum: ['train', 'validation', 'test'], default: 'test', description: 'split written on every scan' },
    label: { enum: [0, 1, null], default: null, description: 'label written on every scan: 1 positive, 0 negative, null unknown' },
    onError: {
      enum: ['fail', 'skip'], default: 'fail',
      description: 'a file or series that cannot be read: fail with its error, or skip it (recorded in the run notes and log)',
    },
    recursive: { type: 'boolean', default: true, description: 'read sub-directories too' },
  },
  required: ['path'],
  example: { path: 'test/fixtures/dicom/series' },
  outputs: { slices: Slices },
  inputFiles,
  scans: dicomScans,
  run,
});
