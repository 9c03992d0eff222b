// Worker thread of LungPool: computes crop boxes and lung areas (and, when asked, the filled masks)
// of a run of slices stored back to back; or decodes JPEG slices to grey levels (image-folder).
import { parentPort } from 'node:worker_threads';
import { wasmSliceReader } from '../image-folder/wasm-jpeg.js';
import { lungArea, type LungOptions } from './lung-area.js';

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
}

/** JPEG slice files to read and decode (image-folder). */
export interface JpegTask {
  id: number;
  files: readonly string[];
}

/** A slice's size and grey levels. */
export interface Grey { width: number; height: number; grey: Uint8Array }

/** Per slice: r0, r1, c0, c1, area (its mask, when asked, is in the task's buffer). Per JPEG file: its grey levels, or null (sharp decides). */
export type LungReply = { id: number; results: Int32Array } | { id: number; greys: (Grey | null)[] } | { id: number; error: string };

let read: ReturnType<typeof wasmSliceReader> | undefined;

function decodeJpegs(t: JpegTask): void {
  read ??= wasmSliceReader();
  const greys = t.files.map((file) => read?.(file) ?? null);
  parentPort!.postMessage({ id: t.id, greys } satisfies LungReply, greys.flatMap((g) => (g ? [g.grey.buffer as ArrayBuffer] : [])));
}

parentPort!.on('message', (t: LungTask | JpegTask) => {
  try {
    if ('files' in t) return decodeJpegs(t);
    const count = t.dims.length / 2, results = new Int32Array(5 * count), into = t.masks;
    let written = 0;
    const sink = into ? (size: number) => new Uint8Array(into, (written += size) - size, size) : undefined;
    for (let i = 0, at = t.offset; i < count; i++) {
      const h = t.dims[2 * i], w = t.dims[2 * i + 1];
      const r = lungArea(new Int16Array(t.buffer, at * 2, h * w), h, w, t.options, undefined, sink);
      results.set([r.r0, r.r1, r.c0, r.c1, r.area], 5 * i);
      at += h * w;
    }
    parentPort!.postMessage({ id: t.id, results } satisfies LungReply, [results.buffer]);
  } catch (e) {
    parentPort!.postMessage({ id: t.id, error: (e as Error).stack ?? String(e) } satisfies LungReply);
  }
});
