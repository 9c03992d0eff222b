// Worker thread of LungPool: computes crop boxes and lung areas (and, when asked, the filled masks)
// of a run of slices stored back to back; or reads and decodes JPEG slice files into HU (image-folder: chunk-reader.ts).
import { parentPort } from 'node:worker_threads';
import { jpegChunkReader, type ChunkRead } from '../image-folder/chunk-reader.js';
import { lungArea, type LungOptions } from './lung-area.js';
import { Slabs } from './slabs.js';

export interface LungTask {
  id: number;
  /** Slices back to back: the caller's shared slices (read in place) or this worker's reusable copy of a chunk. */
  buffer: SharedArrayBuffer;
  /** Offset of the first slice in int16 elements. */
  offset: number;
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

/**
 * Per slice: r0, r1, c0, c1, area (its mask, when asked, is in the task's buffer). JPEG files: what
 * the worker made of each (chunk-reader.ts), their HU in the slab `slot` lent (shared), or, slot −1,
 * in a buffer of their own (transferred); `slabs`: how many slabs the worker keeps.
 */
export type LungReply = { id: number; results: Int32Array } | { id: number; chunk: ChunkRead; slot: number; slabs: number } | { id: number; error: string };

/** Bytes of slabs a worker keeps: its share of three 512² scans of ≈ 300 slices in flight (a chunk past it gets a buffer of its own). */
const SLAB_BYTES = 512 * 1024 * 1024;

let read: ReturnType<typeof jpegChunkReader> | undefined;
const slabs = new Slabs(SLAB_BYTES);

function decodeJpegs(t: JpegTask): void {
  read ??= jpegChunkReader();
  slabs.returned(t.freed);
  let lent: ReturnType<Slabs['lend']> = null;
  const chunk = read(t.files, t.table, (n) => {
    lent = n > 0 ? slabs.lend(2 * n) : null;
    return lent ? new Int16Array(lent.buffer, 0, n) : new Int16Array(n);
  });
  const slot = (lent as ReturnType<Slabs['lend']>)?.slot ?? -1;
  parentPort!.postMessage({ id: t.id, chunk, slot, slabs: slabs.count } satisfies LungReply, slot < 0 ? [chunk.pixels.buffer as ArrayBuffer] : []);
}

parentPort!.on('message', (t: LungTask | JpegTask) => {
  try {
    if ('files' in t) return decodeJpegs(t);
    const count = t.dims.length / 2, results = new Int32Array(5 * count), into = t.masks;
    let written = 0;
    const sink = into ? (size: number) => new Uint8Array(into, (written += size) - size, size) : undefined;
    for (let i = 0, at = t.offset; i < count; i++) {
      const h = t.dims[2 * i], w = t.dims[2 * i + 1];
      const b = t.boxes?.subarray(4 * i, 4 * i + 4), box = b && { r0: b[0], r1: b[1], c0: b[2], c1: b[3] };
      const r = lungArea(new Int16Array(t.buffer, at * 2, h * w), h, w, t.options, undefined, sink, box);
      results.set([r.r0, r.r1, r.c0, r.c1, r.area], 5 * i);
      at += h * w;
    }
    parentPort!.postMessage({ id: t.id, results } satisfies LungReply, [results.buffer]);
  } catch (e) {
    parentPort!.postMessage({ id: t.id, error: (e as Error).stack ?? String(e) } satisfies LungReply);
  }
});
