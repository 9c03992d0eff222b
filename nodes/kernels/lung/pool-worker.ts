// Worker thread of LungPool: computes crop boxes and lung areas (and, when asked, the filled masks)
// of slices in one shared buffer; or reads slice files into HU: JPEG (image-folder: chunk-reader.ts)
// or DICOM (dicom-series: dicom/chunk-reader.ts). Tasks run one after another, in the order they
// came (a DICOM task awaits its codecs), and are answered in that order.
import { parentPort } from 'node:worker_threads';
import { dicomChunkReader, type DicomChunk } from '../dicom/chunk-reader.js';
import { jpegChunkReader, type ChunkRead } from '../image-folder/chunk-reader.js';
import { lungArea, type LungOptions } from './lung-area.js';
import { Slabs } from './slabs.js';

export interface LungTask {
  id: number;
  /** The slices: the caller's shared slices (read in place) or this worker's reusable copy of a chunk. */
  buffer: SharedArrayBuffer;
  /** Per slice: where it starts in `buffer`, in int16 elements. */
  offsets: Int32Array;
  /** Per slice: height, width. */
  dims: Int32Array;
  options: Partial<LungOptions>;
  /**
   * When given, also write each slice's filled mask (its crop box, 0/1 bytes) here, back to back
   * from byte 0: this worker's reusable buffer, at least the chunk's h·w bytes, which the main
   * thread copies out before it hands the worker its next task (no array per slice or chunk).
   */
  masks?: SharedArrayBuffer;
  /** Per slice: r0, r1, c0, c1 of its crop box, when the caller has them (the cropper's): not found again. */
  boxes?: Int32Array;
}

/** JPEG slice files to read and decode into HU through `table` (image-folder). */
export interface JpegTask {
  id: number;
  files: readonly string[];
  table: Int16Array;
  /** Slabs of this worker the main thread no longer holds (slabs.ts). */
  freed: number[];
}

/** DICOM files to read into HU (dicom-series). */
export interface DicomTask {
  id: number;
  dicom: readonly string[];
  /** Slabs of this worker the main thread no longer holds (slabs.ts). */
  freed: number[];
}

/** A task that reads slice files into one of the worker's slabs. */
export type FileTask = JpegTask | DicomTask;

/**
 * Per slice: r0, r1, c0, c1, area (its mask, when asked, is in the task's buffer). Slice files: what
 * the worker made of each (the chunk readers), their HU in the slab `slot` lent (shared), or, slot −1,
 * in a buffer of their own (transferred); `slabs`: how many slabs the worker keeps.
 */
export type LungReply = { id: number; results: Int32Array } | { id: number; chunk: ChunkRead | DicomChunk; slot: number; slabs: number } | { id: number; error: string };

/** Bytes of slabs a worker keeps: its share of three 512² scans of ≈ 300 slices in flight (a chunk past it gets a buffer of its own). */
const SLAB_BYTES = 512 * 1024 * 1024;

let jpeg: ReturnType<typeof jpegChunkReader> | undefined;
let dicom: ReturnType<typeof dicomChunkReader> | undefined;
const slabs = new Slabs(SLAB_BYTES);

/** Read a task's files into a slab of this worker (else a buffer of their own) and answer. */
async function readFiles(t: FileTask): Promise<void> {
  slabs.returned(t.freed);
  let lent: ReturnType<Slabs['lend']> = null;
  const alloc = (n: number) => {
    lent = n > 0 ? slabs.lend(2 * n) : null;
    return lent ? new Int16Array(lent.buffer, 0, n) : new Int16Array(n);
  };
  const chunk = 'files' in t ? (jpeg ??= jpegChunkReader())(t.files, t.table, alloc) : await (dicom ??= dicomChunkReader())(t.dicom, alloc);
  const slot = (lent as ReturnType<Slabs['lend']>)?.slot ?? -1;
  parentPort!.postMessage({ id: t.id, chunk, slot, slabs: slabs.count } satisfies LungReply, slot < 0 ? [chunk.pixels.buffer as ArrayBuffer] : []);
}

function lungAreas(t: LungTask): void {
  const count = t.dims.length / 2, results = new Int32Array(5 * count), into = t.masks;
  let written = 0;
  const sink = into ? (size: number) => new Uint8Array(into, (written += size) - size, size) : undefined;
  for (let i = 0; i < count; i++) {
    const h = t.dims[2 * i], w = t.dims[2 * i + 1];
    const b = t.boxes?.subarray(4 * i, 4 * i + 4), box = b && { r0: b[0], r1: b[1], c0: b[2], c1: b[3] };
    const r = lungArea(new Int16Array(t.buffer, t.offsets[i] * 2, h * w), h, w, t.options, undefined, sink, box);
    results.set([r.r0, r.r1, r.c0, r.c1, r.area], 5 * i);
  }
  parentPort!.postMessage({ id: t.id, results } satisfies LungReply, [results.buffer]);
}

let turn = Promise.resolve();
parentPort!.on('message', (t: LungTask | FileTask) => {
  turn = turn.then(async () => {
    try {
      if ('freed' in t) await readFiles(t);
      else lungAreas(t);
    } catch (e) {
      parentPort!.postMessage({ id: t.id, error: (e as Error).stack ?? String(e) } satisfies LungReply);
    }
  });
});
