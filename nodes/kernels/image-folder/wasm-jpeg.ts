// libjpeg-turbo's TurboJPEG decompressor as WebAssembly (@cwasm/jpeg-turbo: nothing built at
// install), asked for 8-bit grey: for a one-component JPEG the very bytes sharp gives (both run
// libjpeg's exact ISLOW inverse DCT; bench/scale/decoders.ts and the image-folder tests compare
// them) at ≈ 20 % less CPU than a sharp call, and synchronous, so it runs on worker threads
// (lung/pool-worker.ts), which also read the files, with blocking calls (readSliceFileSync): the
// main thread neither reads nor decodes these slices. Anything it does not read or decode cleanly
// goes to sharp on the main thread, which says why.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readSliceFileSync } from './read-file.js';
import { jpegFrame, MAX_SIDE, sniffJpeg } from './sniff.js';

const WASM = '@cwasm/jpeg-turbo/jpeg-turbo.wasm';
const TJPF_GRAY = 6;

interface TurboJpeg {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  tjInitDecompress(): number;
  tjDecompressHeader3(handle: number, src: number, size: number, w: number, h: number, subsamp: number, colorspace: number): number;
  tjDecompress2(handle: number, src: number, size: number, dst: number, w: number, pitch: number, h: number, format: number, flags: number): number;
}

/** Path of the WebAssembly module, or null when the package is missing (an install that left it out): sharp decodes everything then. */
export function wasmJpegPath(): string | null {
  try {
    return createRequire(import.meta.url).resolve(WASM);
  } catch {
    return null;
  }
}

/** Thrown by the module's stubs: libjpeg's fatal errors longjmp, which this build cannot, so they end the call. */
class Stop extends Error {}

/**
 * A decoder of 8-bit one-component JPEG bytes to grey levels (row-major, width × height), or null
 * when the package is absent. It returns null for a slice libjpeg warned or failed on: the caller
 * decodes that slice with sharp, whose verdict (strict or lenient) is the one image-folder keeps.
 * After a fatal error the instance is dropped (libjpeg was stopped mid-call) and a new one made.
 */
export function wasmJpeg(): ((bytes: Uint8Array, width: number, height: number) => Uint8Array | null) | null {
  const path = wasmJpegPath();
  if (!path) return null;
  const module = new WebAssembly.Module(readFileSync(path));
  const stop = () => { throw new Stop(); };
  const fresh = () => {
    const x = new WebAssembly.Instance(module, {
      env: { setjmp: () => 0, longjmp: stop },
      wasi_snapshot_preview1: { environ_sizes_get: () => 0, environ_get: stop, proc_exit: stop, fd_close: stop, fd_seek: stop, fd_write: stop },
    }).exports as unknown as TurboJpeg;
    return { x, handle: x.tjInitDecompress(), meta: x.malloc(16), src: 0, srcCap: 0, dst: 0, dstCap: 0 };
  };
  let s = fresh();
  return (bytes, width, height) => {
    try {
      const { x } = s;
      if (bytes.length > s.srcCap) { x.free(s.src); s.srcCap = bytes.length; s.src = x.malloc(bytes.length); }
      if (width * height > s.dstCap) { x.free(s.dst); s.dstCap = width * height; s.dst = x.malloc(width * height); }
      if (!s.src || !s.dst) throw new Stop();
      new Uint8Array(x.memory.buffer, s.src, bytes.length).set(bytes);
      if (x.tjDecompressHeader3(s.handle, s.src, bytes.length, s.meta, s.meta + 4, s.meta + 8, s.meta + 12) !== 0) return null;
      const [w, h] = new Int32Array(x.memory.buffer, s.meta, 2);
      if (w !== width || h !== height) return null;
      // non-zero: an error, or a warning (damaged data filled in): sharp decides
      if (x.tjDecompress2(s.handle, s.src, bytes.length, s.dst, w, 0, h, TJPF_GRAY, 0) !== 0) return null;
      return new Uint8Array(x.memory.buffer, s.dst, w * h).slice();
    } catch (e) {
      if (!(e instanceof Stop) && !(e instanceof WebAssembly.RuntimeError)) throw e;
      s = fresh();
      return null;
    }
  };
}

/**
 * A reader and decoder of slice files for a worker thread: the grey levels of a one-component
 * 8-bit JPEG no larger than MAX_SIDE that libjpeg decodes without a warning; null for any other
 * file, and for any file that cannot be read (the caller reads and decodes it with sharp, and
 * says why). Null itself when the package is absent.
 */
export function wasmSliceReader(): ((file: string) => { width: number; height: number; grey: Uint8Array } | null) | null {
  const decode = wasmJpeg();
  if (!decode) return null;
  return (file) => {
    let bytes: Uint8Array;
    try {
      bytes = readSliceFileSync(file);
    } catch {
      return null;
    }
    const f = sniffJpeg(bytes) ? null : jpegFrame(bytes);
    if (!f || f.components !== 1 || f.precision !== 8 || f.sof > 0xc2 || !(f.width > 0 && f.height > 0 && f.width <= MAX_SIDE && f.height <= MAX_SIDE)) return null;
    const grey = decode(bytes, f.width, f.height);
    return grey && { width: f.width, height: f.height, grey };
  };
}
