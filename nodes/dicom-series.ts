// Source: a directory of DICOM files → one Slices batch per series (SeriesInstanceUID = scan_id).
// Planning groups the files into series from their headers (kernels/dicom/scans.ts, memoised by
// fingerprint), and each series is cached as a scan of its own. A run reads a series' files on the
// lung pool's workers, each read once: its header parsed, then its pixels converted to int16 HU
// straight into a worker's reused slab, one series at a time. The slices
// are then put in order along the slice normal (their views: no copy). Memory is flat in the
// number of series (docs/memory.md). See docs/dicom.md.
import { resolve } from 'node:path';
import type { RecordBatch } from '../engine/arrow.js';
import { defineNode, type NodeContext, type ScanFiles } from '../engine/types.js';
import type { DicomChunk } from './kernels/dicom/chunk-reader.js';
import { listFiles } from './kernels/dicom/files.js';
import { orderSlices, type Placed } from './kernels/dicom/geometry.js';
import { dicomScans } from './kernels/dicom/scans.js';
import { giveBack, sharedPool } from './kernels/lung/shared-pool.js';
import { ScanGather } from './kernels/scan-gather.js';
import { sliceBatch } from './kernels/slab-batch.js';
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
    // One series at a time (its files are read by both workers at once): a series read ahead
    // would hold its slabs, up to ≈ 350 MiB for 700 slices of 512², beside those in flight.
    for (const [i, s] of scans.entries()) {
      const batch = await readSeries(ctx, s, met);
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

/** A slice read, where ordering needs it, and its HU where the worker put them. */
interface Slice extends Placed {
  pixelMm: number | null;
  hu: Int16Array;
}

/** Files a worker reads in one task. */
const CHUNK = 8;

/**
 * One series as a Slices batch, or null when nothing of it could be read. Its files are read, parsed
 * and converted to HU on the lung pool's workers, CHUNK files a task, every task queued at once, into
 * the workers' slabs (dicom/chunk-reader.ts); here the headers that come back are checked and the
 * slices ordered along the slice normal, which orders the views of them: no slice is copied. The
 * batch's pixels column is gathered only if something reads it (kernels/slab-batch.ts); the slabs
 * go back to the workers then, or at the scan's step end, or here when no slice of theirs is kept.
 * A stored node's column is read whole anyway: its series is gathered chunk by chunk as the workers
 * answer, each slab given back at once (scan-gather.ts), so that it is not resident twice.
 */
async function readSeries(ctx: NodeContext<DicomSeriesParams>, s: ScanFiles, met: Met): Promise<RecordBatch | null> {
  const chunks = Array.from({ length: Math.ceil(s.files.length / CHUNK) }, (_, k) => s.files.slice(k * CHUNK, (k + 1) * CHUNK));
  const gather = ctx.stored ? new ScanGather(s.files.length) : undefined;
  const settled = await Promise.allSettled(chunks.map((c, k) => {
    const read = sharedPool().decodeDicomFiles(c);
    return gather ? read.then((chunk) => gathered(gather, s.id, k * CHUNK, chunk)) : read;
  }));
  const buffers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value.pixels.buffer] : []));
  const kept = new Set<ArrayBufferLike>();
  try {
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const batch = seriesBatch(ctx, s, met, chunks, settled.map((r) => (r as PromiseFulfilledResult<DicomChunk>).value), kept, gather);
    giveBack(buffers.filter((b) => !kept.has(b)));
    return batch;
  } catch (e) {
    giveBack(buffers);
    throw e;
  }
}

/**
 * A chunk's reads with this series' slices gathered (each `at` now in the gatherer's buffer), its
 * slab given back. A slice of another series is refused from its header, and one of another size
 * refuses its series (seriesBatch): neither is gathered, nor ever viewed.
 */
function gathered(gather: ScanGather, series: string, first: number, chunk: DicomChunk): DicomChunk {
  let placed: Int16Array | undefined;
  const files = chunk.files.map((r, j) => {
    if (!('h' in r) || r.h.seriesUid !== series) return r;
    const hu = gather.place(first + j, chunk.pixels.subarray(r.at, r.at + r.h.rows * r.h.cols));
    if (!hu) return r;
    placed = hu;
    return { ...r, at: hu.byteOffset / 2 };
  });
  giveBack([chunk.pixels.buffer]);
  return { pixels: placed ? new Int16Array(placed.buffer) : new Int16Array(0), files };
}

/**
 * The series' batch from what the workers read of its files (`kept`: gets the buffers its slices are
 * in); `gather`: they were gathered into one buffer of the series' own (scan-gather.ts), where they
 * are now put in slice order.
 */
function seriesBatch(ctx: NodeContext<DicomSeriesParams>, s: ScanFiles, met: Met, chunks: string[][], read: DicomChunk[], kept: Set<ArrayBufferLike>, gather?: ScanGather): RecordBatch | null {
  const slices: Slice[] = [];
  let height = 0, width = 0, clamped = 0;
  for (const [k, chunk] of read.entries()) {
    ctx.signal.throwIfAborted();
    for (const [j, r] of chunk.files.entries()) {
      const file = chunks[k][j];
      if ('reason' in r) met.problem({ file }, r.reason);
      else if ('none' in r) met.nonImages.push(file);
      else if ('localizer' in r) met.localizers.push(file);
      else if (r.h.seriesUid !== s.id) {
        met.problem({ file }, `its SeriesInstanceUID is ${r.h.seriesUid}, not ${s.id} as when the run was planned: it changed while the run read it; rerun`);
      } else {
        const { h } = r;
        if (slices.length === 0) ({ rows: height, cols: width } = h);
        else if (h.rows !== height || h.cols !== width) {
          met.problem({ series: s.id }, `slices differ in size: ${slices[0].file} is ${height}×${width}, ${file} is ${h.rows}×${h.cols}`);
          return null;
        }
        clamped += r.clamped;
        const hu = chunk.pixels.subarray(r.at, r.at + height * width);
        slices.push({ file, position: h.position, orientation: h.orientation, instanceNumber: h.instanceNumber, pixelMm: h.pixelMm, hu });
      }
    }
  }
  if (slices.length === 0) return null;
  let ordering;
  try {
    ordering = orderSlices(slices);
  } catch (e) {
    met.problem({ series: s.id }, (e as Error).message);
    return null;
  }
  for (const w of ordering.warnings) ctx.log(`dicom-series: series ${s.id}: ${w}`);
  if (clamped > 0) ctx.log(`dicom-series: series ${s.id}: ${clamped} pixel(s) outside int16 after rescale were clamped`);
  met.scans.push({ scan_id: s.id, slices: slices.length, spacing_mm: ordering.spacing, clamped });
  const ordered = ordering.order.map((i) => slices[i]);
  const hu = gather?.inOrder(slices.map((sl) => sl.hu), ordering.order) ?? ordered.map((sl) => sl.hu);
  for (const h of hu) kept.add(h.buffer);
  const { split, label } = ctx.params;
  return sliceBatch({ source: 'dicom-series', scanId: s.id, split, label }, hu.map((h, i) => ({ index: i, height, width, hu: h })), kept,
    { position_mm: ordering.positions, pixel_mm: ordered.map((sl) => sl.pixelMm) });
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
