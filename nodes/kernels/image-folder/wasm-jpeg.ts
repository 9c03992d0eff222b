// libjpeg-turbo's decoder as WebAssembly with SIMD (native/jpeg-gray: built from Debian's
// libjpeg-turbo 2.1.5 source by its build.sh, the .wasm committed), asked for 8-bit grey: for a
// one-component JPEG the very bytes sharp gives (both run libjpeg's exact ISLOW inverse DCT;
// bench/scale/decoders.ts and the image-folder tests compare them), and synchronous, so it runs on
// worker threads (chunk-reader.ts) where the same decoder as a native addon (native-jpeg.ts) does
// not load.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { greyToHu } from './hu.js';
import { huAffine, simdHu } from './hu-simd.js';

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

/** native/jpeg-gray/jpeg-gray.json: what the module and the addon were built from and how. */
export interface JpegGrayBuild {
  source: string; compiler: string; flags: string; sha256: string;
  addon: { file: string; flags: string; simde: string; sha256: string };
}

export const jpegGrayBuild = (): JpegGrayBuild => JSON.parse(readFileSync(wasmJpegPath().replace(/\.wasm$/, '.json'), 'utf8')) as JpegGrayBuild;

/** What the module was built from and how, from its build record: for benchmarks to print. */
export function wasmJpegBuild(): string {
  const r = jpegGrayBuild();
  return `${r.source}; ${r.compiler}, ${r.flags}; sha256 ${r.sha256.slice(0, 12)}`;
}

/**
 * Grey levels (width × height) of one-component 8-bit JPEG bytes, or null for a slice libjpeg
 * warned or failed on. With `hu`, also their HU through `hu.table` in `hu.out`, and the grey
 * levels returned are a view valid until the next call (else a copy of their own).
 */
export type GreyDecoder = (bytes: Uint8Array, width: number, height: number, hu?: { table: Int16Array; out: Int16Array }) => Uint8Array | null;

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
export function wasmJpeg(): GreyDecoder {
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
