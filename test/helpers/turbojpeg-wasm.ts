// The reference the shipped JPEG decoder (native/jpeg-gray) is compared with: libjpeg-turbo 2.0.4's
// plain C decoder as WebAssembly (@cwasm/jpeg-turbo, a devDependency: TurboJPEG, built -Oz without
// SIMD, with a 32-bit Huffman bit buffer; ctflow's decoder until session 11), asked for 8-bit grey.
// Returns the grey levels, or null where TurboJPEG warned or failed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface TurboJpeg {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  tjInitDecompress(): number;
  tjDecompressHeader3(handle: number, src: number, size: number, w: number, h: number, subsamp: number, colorspace: number): number;
  tjDecompress2(handle: number, src: number, size: number, dst: number, w: number, pitch: number, h: number, format: number, flags: number): number;
}

const TJPF_GRAY = 6;

/** A TurboJPEG decoder of grey JPEG bytes (null: a warning or an error), or undefined when @cwasm/jpeg-turbo is not installed. */
export function turboJpegGrey(): ((bytes: Uint8Array) => { width: number; height: number; grey: Uint8Array } | null) | undefined {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm');
  } catch {
    return undefined;
  }
  const module = new WebAssembly.Module(readFileSync(path));
  class Stop extends Error {}
  const stop = () => { throw new Stop(); };
  const fresh = () => {
    const x = new WebAssembly.Instance(module, {
      env: { setjmp: () => 0, longjmp: stop },
      wasi_snapshot_preview1: { environ_sizes_get: () => 0, environ_get: stop, proc_exit: stop, fd_close: stop, fd_seek: stop, fd_write: stop },
    }).exports as unknown as TurboJpeg;
    return { x, handle: x.tjInitDecompress(), meta: x.malloc(16), src: 0, srcCap: 0, dst: 0, dstCap: 0 };
  };
  let s = fresh();
  return (bytes) => {
    try {
      const { x } = s;
      if (bytes.length > s.srcCap) { x.free(s.src); s.srcCap = bytes.length; s.src = x.malloc(bytes.length); }
      if (!s.src) throw new Stop();
      new Uint8Array(x.memory.buffer, s.src, bytes.length).set(bytes);
      if (x.tjDecompressHeader3(s.handle, s.src, bytes.length, s.meta, s.meta + 4, s.meta + 8, s.meta + 12) !== 0) return null;
      const [width, height] = new Int32Array(x.memory.buffer, s.meta, 2);
      if (width * height > 2 ** 28) return null; // past what a test would ask of it
      if (width * height > s.dstCap) { x.free(s.dst); s.dstCap = width * height; s.dst = x.malloc(width * height); }
      if (!s.dst) throw new Stop();
      if (x.tjDecompress2(s.handle, s.src, bytes.length, s.dst, width, 0, height, TJPF_GRAY, 0) !== 0) return null;
      return { width, height, grey: new Uint8Array(x.memory.buffer, s.dst, width * height).slice() };
    } catch (e) {
      if (!(e instanceof Stop) && !(e instanceof WebAssembly.RuntimeError)) throw e;
      s = fresh();
      return null;
    }
  };
}
