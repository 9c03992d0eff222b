// A worker's reader of DICOM slice files (lung/pool-worker.ts): each file of a task read once (its
// header parsed, its samples decoded: decode.ts's readSlice) and its HU written into the task's one
// buffer, which the caller's `alloc` gives (the lung pool's worker: one of its reused slabs). The
// main thread neither reads, parses nor converts a slice: it orders the series from the headers
// that come back (dicom-series.ts). A file that is not read, or not an image, comes back with what
// it is; which of those stop the run is the main thread's decision (onError).
import { readSlice, type Samples } from './decode.js';
import { DicomFileError, ReadBuffer, type SliceHeader } from './header.js';
import { toHounsfield } from './hu.js';

/**
 * What a worker made of one file: a slice (its header; its HU, rows × cols int16 values from `at`
 * in the task's buffer; how many were clamped to int16), DICOM without an image, a localizer, or
 * why it cannot be used (`io`: it could not be read at all).
 */
export type DicomRead =
  | { h: SliceHeader; at: number; clamped: number }
  | { none: true }
  | { localizer: true }
  | { reason: string; io: boolean };

/** A task's files, and the buffer holding the HU of its slices. */
export interface DicomChunk { pixels: Int16Array; files: DicomRead[] }

/**
 * A reader of DICOM files for a worker thread. The files of a task are each read into a buffer of
 * their own (kept and reused from task to task: native samples are read where they lie in it), so
 * that their sizes are known before the task's buffer is asked for.
 */
export function dicomChunkReader(): (files: readonly string[], alloc?: (n: number) => Int16Array) => Promise<DicomChunk> {
  const buffers: ReadBuffer[] = [];
  return async (files, alloc = (n) => new Int16Array(n)) => {
    let total = 0;
    const read: (Exclude<DicomRead, { clamped: number }> | { h: SliceHeader; at: number; samples: Samples; shift: number })[] = [];
    for (const [i, file] of files.entries()) {
      try {
        const { h, decoded } = await readSlice(file, (buffers[i] ??= new ReadBuffer()));
        if (!h) read.push({ none: true } as const);
        else if (!decoded) read.push({ localizer: true } as const);
        else {
          read.push({ h, at: total, samples: decoded.samples, shift: decoded.shift });
          total += h.rows * h.cols;
        }
      } catch (e) {
        if (!(e instanceof DicomFileError)) throw e;
        read.push({ reason: e.reason, io: e.io });
      }
    }
    const pixels = alloc(total);
    const out = read.map((r): DicomRead => {
      if (!('samples' in r)) return r;
      const { h, at } = r, into = pixels.subarray(at, at + h.rows * h.cols);
      return { h, at, clamped: toHounsfield(alignedLike(r.samples, into), h.pixel, r.shift, into).clamped };
    });
    return { pixels, files: out };
  };
}

/**
 * `samples`, or the same values moved down within their own buffer (by at most 7 bytes, over the
 * bytes before them: the file's header, read already) so that they lie 8-byte aligned as `out`
 * does. V8 copies into shared memory word by word only when both sides are so aligned, byte by
 * byte otherwise: a 512² slice whose pixel data started at an offset ≢ 0 (mod 8) took ≈ 130 µs to
 * copy into its slab, 4× the aligned copy (native samples are views of the file's bytes).
 */
function alignedLike(samples: Samples, out: Int16Array): Samples {
  const d = (samples.byteOffset - out.byteOffset) & 7; // even: both are 16-bit aligned
  if (!(samples instanceof Uint16Array) || d === 0 || samples.byteOffset < d) return samples;
  new Uint8Array(samples.buffer, 0, samples.byteOffset + samples.byteLength).copyWithin(samples.byteOffset - d, samples.byteOffset);
  return new Uint16Array(samples.buffer, samples.byteOffset - d, samples.length);
}
