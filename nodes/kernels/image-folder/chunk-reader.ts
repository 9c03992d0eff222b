// A worker's reader of JPEG slice files (lung/pool-worker.ts): each file read with blocking calls
// (readSliceFile), checked once, and a one-component 8-bit JPEG decoded by libjpeg-turbo (the
// native addon where it loads, native-jpeg.ts, else the WebAssembly build, wasm-jpeg.ts: the same
// bytes) and turned into HU there, into one buffer a task: the main thread neither reads, decodes
// nor converts these slices. A file the worker cannot read, or whose content is refused or blank,
// comes back with its reason (the only place it is decided); a JPEG it does not decode cleanly
// comes back with its bytes, for sharp on the main thread to judge.
import { nativeAddon, nativeJpeg } from './native-jpeg.js';
import { readSliceFile, unread, type Unread } from './read-file.js';
import { MAX_SIDE, sniffJpeg, type JpegFrame } from './sniff.js';
import { jpegGrayBuild, wasmJpeg, wasmJpegBuild } from './wasm-jpeg.js';

/** Why a slice is not used though it decodes: every pixel the same grey level; null if not. */
export function blank(grey: Uint8Array): string | null {
  const v = grey[0];
  let i = 1;
  while (i < grey.length && grey[i] === v) i++;
  return i === grey.length ? `blank: every pixel is ${v}` : null;
}

/**
 * What a worker made of one slice file: its HU (width × height int16 values from `at` in its
 * task's buffer), why it is not used, the change of the dataset its read met, or (a JPEG this
 * decoder does not take or decode cleanly) the bytes it read, for sharp.
 */
export type SliceRead = { width: number; height: number; at: number } | Unread | { bytes: Uint8Array };

/** A task's slices, and the buffer holding the HU of those decoded. */
export interface ChunkRead { pixels: Int16Array; slices: SliceRead[] }

/** The frame a slice must have for this decoder: one 8-bit component, baseline to progressive, at most MAX_SIDE a side. */
export const decodable = (f: JpegFrame | null): f is JpegFrame => !!f && f.components === 1 && f.precision === 8 && f.sof <= 0xc2 &&
  f.width > 0 && f.height > 0 && f.width <= MAX_SIDE && f.height <= MAX_SIDE;

/** Which decoder the workers run here, and what it was built from: for benchmarks to print. */
export function jpegDecoderName(): string {
  const addon = nativeAddon(), r = jpegGrayBuild();
  return 'unavailable' in addon
    ? `WebAssembly (the native addon is not used: ${addon.unavailable}): ${wasmJpegBuild()}`
    : `native addon ${r.addon.file}: ${r.source}; ${r.compiler}, ${r.addon.flags}, SIMDe ${r.addon.simde}; sha256 ${r.addon.sha256.slice(0, 12)}`;
}

/**
 * A reader of slice files for a worker thread: each file read and checked once, and a one-component
 * 8-bit JPEG decoded and turned into HU through `table` (hu.ts) into the task's one buffer, which
 * `alloc(n)` gives (n int16 values; the lung pool's worker: one of its reused slabs).
 */
export function jpegChunkReader(): (files: readonly string[], table: Int16Array, alloc?: (n: number) => Int16Array) => ChunkRead {
  const decode = nativeJpeg() ?? wasmJpeg();
  return (files, table, alloc = (n) => new Int16Array(n)) => {
    let total = 0;
    const read = files.map((file): { frame: JpegFrame; bytes: Uint8Array; at: number } | SliceRead => {
      let bytes: Uint8Array;
      try {
        bytes = readSliceFile(file);
      } catch (err) {
        return unread(file, err);
      }
      const sniffed = sniffJpeg(bytes);
      if ('refused' in sniffed) return { reason: `unreadable: ${sniffed.refused}` };
      if (!decodable(sniffed.frame)) return { bytes };
      const at = total;
      total += sniffed.frame.width * sniffed.frame.height;
      return { frame: sniffed.frame, bytes, at };
    });
    const pixels = alloc(total);
    const slices = read.map((r): SliceRead => {
      if (!('frame' in r)) return r;
      const { width, height } = r.frame, grey = decode(r.bytes, width, height, { table, out: pixels.subarray(r.at, r.at + width * height) });
      if (!grey) return { bytes: r.bytes };
      const why = blank(grey);
      return why ? { reason: why } : { width, height, at: r.at };
    });
    return { pixels, slices };
  };
}
