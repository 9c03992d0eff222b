// Source: a directory of DICOM files → one Slices batch per series (SeriesInstanceUID = scan_id).
// Headers are read first (without pixels) to group the files and drop localizers; then one series
// at a time is ordered along the slice normal, decoded and converted to int16 HU, so memory is
// flat in the number of series. See docs/dicom.md.
import { resolve } from 'node:path';
import { Binary, makeData, RecordBatch, Struct, vectorFromArray, type DataType } from '../engine/arrow.js';
import { defineNode, type NodeContext } from '../engine/types.js';
import { decodeSlice } from './kernels/dicom/decode.js';
import { groupSeries, isLocalizer, listFiles, type Series } from './kernels/dicom/files.js';
import { orderSlices } from './kernels/dicom/geometry.js';
import { DicomFileError, ReadBuffer, readHeader, type SliceHeader } from './kernels/dicom/header.js';
import { toHounsfield } from './kernels/dicom/hu.js';
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

/** Every file the directory holds (fingerprinted into the cache key). */
export function inputFiles(params: DicomSeriesParams): Promise<string[]> {
  return listFiles(resolve(params.path), params.recursive);
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

async function* run(ctx: NodeContext<DicomSeriesParams>) {
  const skipped: Skipped[] = [];
  const localizers: string[] = [];
  const nonImages: string[] = [];
  const scans: ScanSummary[] = [];
  const problem = (what: { file: string } | { series: string }, reason: string) => {
    const subject = 'file' in what ? `file ${what.file}` : `series ${what.series}`;
    if (ctx.params.onError === 'fail') {
      throw new Error(`dicom-series node "${ctx.id}": ${subject}: ${reason}. Remove or repair it, or set onError: skip to record it and go on`);
    }
    skipped.push({ ...what, reason });
    ctx.log(`dicom-series: skipped ${subject} (${reason})`);
  };
  try {
    const files = await inputFiles(ctx.params);
    if (files.length === 0) {
      throw new Error(`dicom-series node "${ctx.id}": no files in params.path "${ctx.params.path}"` +
        (ctx.params.recursive ? '' : ' (recursive is false: set recursive: true to read sub-directories)'));
    }
    const headers: SliceHeader[] = [];
    for (const [i, file] of files.entries()) {
      ctx.signal.throwIfAborted();
      if (i % 200 === 0) ctx.progress(i, files.length, 'reading headers');
      try {
        const h = await readHeader(file);
        if (!h) nonImages.push(file);
        else if (isLocalizer(h)) localizers.push(file);
        else headers.push(h);
      } catch (e) {
        if (!(e instanceof DicomFileError)) throw e;
        problem({ file }, e.reason);
      }
    }
    if (nonImages.length) ctx.log(`dicom-series: ignored ${nonImages.length} DICOM file(s) without an image (e.g. ${nonImages[0]})`);
    if (localizers.length) ctx.log(`dicom-series: dropped ${localizers.length} localizer image(s) (ImageType LOCALIZER)`);
    const series = groupSeries(headers);
    for (const [i, s] of series.entries()) {
      const batch = await readSeries(ctx, s, problem, scans);
      ctx.progress(i + 1, series.length, s.uid);
      if (batch) yield { slices: batch };
    }
  } finally {
    ctx.note('scans', scans);
    ctx.note('skipped', skipped);
    ctx.note('localizers', localizers);
    ctx.note('nonImageFiles', nonImages);
  }
}

/** One series as a Slices batch, or null when nothing of it could be read. */
async function readSeries(
  ctx: NodeContext<DicomSeriesParams>,
  s: Series,
  problem: (what: { file: string } | { series: string }, reason: string) => void,
  scans: ScanSummary[],
) {
  const sizes = new Set(s.slices.map((h) => `${h.rows}×${h.cols}`));
  if (sizes.size > 1) {
    problem({ series: s.uid }, `slices differ in size (${[...sizes].join(', ')})`);
    return null;
  }
  let ordering;
  try {
    ordering = orderSlices(s.slices);
  } catch (e) {
    problem({ series: s.uid }, (e as Error).message);
    return null;
  }
  for (const w of ordering.warnings) ctx.log(`dicom-series: series ${s.uid}: ${w}`);
  // Every slice goes straight into its place in one buffer of the scan, which becomes the pixels
  // column: no array per slice and no copy of the scan (issue 23). An ArrayBuffer, not shared
  // memory: a dead SharedArrayBuffer waits for a full collection that its size does not hasten
  // (V8 does not count it as external memory), and held ≈ 50 MiB more in the lung graph.
  const { rows: height, cols: width } = s.slices[0];
  const pixels = new Int16Array(ordering.order.length * height * width);
  const read = new ReadBuffer();
  const kept: { h: SliceHeader; position: number | null }[] = [];
  let clamped = 0;
  for (const [k, index] of ordering.order.entries()) {
    ctx.signal.throwIfAborted();
    const h = s.slices[index];
    try {
      const { samples, shift } = await decodeSlice(h, read);
      const at = kept.length * height * width;
      clamped += toHounsfield(samples, h.pixel, shift, pixels.subarray(at, at + height * width)).clamped;
      kept.push({ h, position: ordering.positions[k] });
    } catch (e) {
      if (!(e instanceof DicomFileError)) throw e;
      problem({ file: h.file }, e.reason);
    }
  }
  if (clamped > 0) ctx.log(`dicom-series: series ${s.uid}: ${clamped} pixel(s) outside int16 after rescale were clamped`);
  if (kept.length === 0) return null;
  scans.push({ scan_id: s.uid, slices: kept.length, spacing_mm: ordering.spacing, clamped });
  const n = kept.length;
  const { split, label } = ctx.params;
  // int16 little endian: the host order of every platform Node runs on here (x64, arm64)
  const bytes = new Uint8Array(pixels.buffer, 0, n * height * width * 2);
  return slicesBatch(bytes, Int32Array.from({ length: n + 1 }, (_, i) => i * height * width * 2), {
    scan_id: Array(n).fill(s.uid),
    split: Array(n).fill(split),
    label: Array(n).fill(label),
    slice_index: kept.map((_, i) => i),
    height: Array(n).fill(height),
    width: Array(n).fill(width),
    position_mm: kept.map((r) => r.position),
    pixel_mm: kept.map((r) => r.h.pixelMm),
  });
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
  run,
});
