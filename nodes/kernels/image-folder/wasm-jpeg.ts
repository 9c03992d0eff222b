// libjpeg-turbo's decoder as WebAssembly with SIMD (native/jpeg-gray: built from Debian's
// libjpeg-turbo 2.1.5 source by its build.sh, the .wasm committed), asked for 8-bit grey: for a
// one-component JPEG the very bytes sharp gives (both run libjpeg's exact ISLOW inverse DCT;
// bench/scale/decoders.ts and the image-folder tests compare them), and synchronous, so it runs on
// worker threads (lung/pool-worker.ts), which also read the files, with blocking calls
// (readSliceFile), and turn the grey levels into HU there, from the decoder's memory into one
// buffer a task: the main thread neither reads, decodes nor converts these slices. A file the
// worker cannot read, or whose content is refused or blank, comes back with its reason (the only
// place it is decided); a JPEG it does not decode cleanly comes back with its bytes, for sharp on
// the main thread to judge.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { greyToHu } from './hu.js';
import { huAffine, simdHu } from './hu-simd.js';
import { readSliceFile, unread, type Unread } from './read-file.js';
import { MAX_SIDE, sniffJpeg, type JpegFrame } from './sniff.js';

/** native/jpeg-gray's exports (gray.c) */
interface JpegGray {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  release(p: number): void;
  /** 0: decoded cleanly; 1: libjpeg warned; 2: not one component of width × height; 3: out of memory */
  decode(src: number, size: number, dst: number, width: number, height: number): number;
}

/**
 * Path of the WebAssembly module (from dist/nodes/kernels/image-folder/ or its bundle's rewrite of
 * it). Loaded by `new URL` beside import.meta.url, so its bytes are part of image-folder's
 * implementation hash (engine/impl-hash.ts): a rebuilt decoder recomputes the cached slices.
 */
export const wasmJpegPath = (): string => fileURLToPath(new URL('../../../../native/jpeg-gray/jpeg-gray.wasm', import.meta.url));

/** What the module was built from and how, from its build record (native/jpeg-gray/jpeg-gray.json): for benchmarks to print. */
export function wasmJpegBuild(): string {
  const r = JSON.parse(readFileSync(wasmJpegPath().replace(/\.wasm$/, '.json'), 'utf8')) as { source: string; compiler: string; flags: string; sha256: string };
  return `${r.source}; ${r.compiler}, ${r.flags}; sha256 ${r.sha256.slice(0, 12)}`;
}

/** Thrown by the module's imports: libjpeg's fatal errors end the call here (the build has no longjmp). */
class Stop extends Error {}

/**
 * A decoder of 8-bit one-component JPEG bytes to grey levels (row-major, width × height). It
 * returns null for a slice libjpeg warned or failed on: the caller decodes that slice with sharp,
 * whose verdict (strict or lenient) is the one image-folder keeps. With `hu`, the grey levels are
 * also turned into HU through `hu.table` (hu.ts) into `hu.out`, by hu-simd.ts's kernel on the
 * module's memory where the table allows, and returned as a view of that memory, valid until the
 * next call. After a fatal error the instance is dropped (libjpeg was stopped mid-call) and a new
 * one made.
 */
export function wasmJpeg(): (bytes: Uint8Array, width: number, height: number, hu?: { table: Int16Array; out: Int16Array }) => Uint8Array | null {
  const module = new WebAssembly.Module(readFileSync(wasmJpegPath()));
  const stop = () => { throw new Stop(); };
  const fresh = () => {
    const x = new WebAssembly.Instance(module, {
      env: { stop },
      wasi_snapshot_preview1: { environ_sizes_get: () => 0, environ_get: stop, proc_exit: stop, fd_close: stop, fd_seek: stop, fd_write: stop },
    }).exports as unknown as JpegGray;
    return { x, src: 0, srcCap: 0, dst: 0, dstCap: 0, hu: 0, huCap: 0, simd: undefined as ReturnType<typeof simdHu> | undefined };
  };
  let s = fresh();
  return (bytes, width, height, hu) => {
    try {
      const { x } = s;
      if (bytes.length > s.srcCap) { x.release(s.src); s.srcCap = bytes.length; s.src = x.alloc(bytes.length); }
      if (width * height > s.dstCap) { x.release(s.dst); s.dstCap = width * height; s.dst = x.alloc(width * height); }
      if (!s.src || !s.dst) throw new Stop();
      new Uint8Array(x.memory.buffer, s.src, bytes.length).set(bytes);
      // non-zero: a warning (damaged data filled in), another size or out of memory: sharp decides
      if (x.decode(s.src, bytes.length, s.dst, width, height) !== 0) return null;
      const n = width * height;
      if (!hu) return new Uint8Array(x.memory.buffer, s.dst, n).slice();
      const body = n - (n % 16), a = huAffine(hu.table);
      const kernel = a && body > 0 ? (s.simd === undefined ? (s.simd = simdHu(x.memory)) : s.simd) : null;
      if (kernel && 2 * n > s.huCap) { x.release(s.hu); s.huCap = 2 * n; s.hu = x.alloc(2 * n); if (!s.hu) throw new Stop(); }
      const grey = new Uint8Array(x.memory.buffer, s.dst, n);       // after any alloc: it may grow the memory
      if (!kernel) greyToHu(grey, hu.table, hu.out);
      else {
        kernel(s.dst, s.hu, body, a!);
        hu.out.set(new Int16Array(x.memory.buffer, s.hu, body));
        for (let i = body; i < n; i++) hu.out[i] = hu.table[grey[i]];
      }
      return grey;
    } catch (e) {
      if (!(e instanceof Stop) && !(e instanceof WebAssembly.RuntimeError)) throw e;
      s = fresh();
      return null;
    }
  };
}

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

/**
 * A reader of slice files for a worker thread: each file read and checked once, and a one-component
 * 8-bit JPEG decoded and turned into HU through `table` (hu.ts) into the task's one buffer.
 */
export function wasmChunkReader(): (files: readonly string[], table: Int16Array) => ChunkRead {
  const decode = wasmJpeg();
  return (files, table) => {
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
    const pixels = new Int16Array(total);
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
