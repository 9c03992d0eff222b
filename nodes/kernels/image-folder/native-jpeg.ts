// The same JPEG decoder as wasm-jpeg.ts's, built as a Node-API addon for x86-64 Linux
// (native/jpeg-gray/jpeg-gray.linux-x64.node: the same libjpeg-turbo C files and idct.c, by the same
// build.sh, committed): ≈ 0.6 of the WebAssembly build's CPU a slice (docs/scale.md, session 12),
// the same bytes (the tests compare both on clean and damaged files). It also turns the grey levels
// into HU as the rows come out, so a slice is written once: in SSE4.1 lanes by the table's affine
// form where it has one (hu-simd.ts's huAffine, checked against all 256 entries), else by the table. Where it does not
// load (another OS or CPU, a CPU without SSE4.2, CTFLOW_JPEG_NATIVE=0) the workers use the
// WebAssembly build; jpegDecoderName() says which one runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { huAffine } from './hu-simd.js';
import type { GreyDecoder } from './wasm-jpeg.js';

interface Addon {
  /** 0: decoded cleanly; 1: libjpeg warned; 2: not one component of width × height; 3: out of memory; 4: libjpeg stopped */
  decode(src: Uint8Array, width: number, height: number, grey: Uint8Array, table?: Int16Array, hu?: Int16Array, affine?: Int32Array): number;
}

/** Loaded by `new URL` beside import.meta.url: its bytes are part of image-folder's implementation hash (engine/impl-hash.ts). */
export const nativeJpegPath = (): string => fileURLToPath(new URL('../../../../native/jpeg-gray/jpeg-gray.linux-x64.node', import.meta.url));

/** x86-64-v2, what build.sh compiles for: the CPU features it may use. */
const NEEDED = ['sse4_2', 'sse4_1', 'ssse3', 'popcnt', 'cx16'];

let loaded: Addon | { unavailable: string } | undefined;

function load(): Addon | { unavailable: string } {
  if (process.env.CTFLOW_JPEG_NATIVE === '0') return { unavailable: 'CTFLOW_JPEG_NATIVE=0' };
  if (process.platform !== 'linux' || process.arch !== 'x64') return { unavailable: `built for linux x64, this is ${process.platform} ${process.arch}` };
  try {
    const flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim().split(/\s+/) ?? []);
    const missing = NEEDED.filter((f) => !flags.has(f));
    if (missing.length > 0) return { unavailable: `the CPU lacks ${missing.join(', ')}` };
    const module = { exports: {} as Addon };
    process.dlopen(module, nativeJpegPath());
    return module.exports;
  } catch (e) {
    return { unavailable: `it did not load: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** The addon, loaded once per thread, or why it is not used. */
export function nativeAddon(): Addon | { unavailable: string } {
  return (loaded ??= load());
}

/**
 * A decoder with wasmJpeg()'s contract on the addon, or null where it does not load: grey levels
 * of one-component 8-bit JPEG bytes (with `hu`, also their HU in `hu.out`; the grey levels are then
 * a view valid until the next call), null for a slice libjpeg warned or failed on (sharp decides).
 */
export function nativeJpeg(): GreyDecoder | null {
  const addon = nativeAddon();
  if ('unavailable' in addon) return null;
  let grey = new Uint8Array(0), table: Int16Array | undefined, affine: Int32Array | undefined;
  return (bytes, width, height, hu) => {
    const n = width * height;
    if (grey.length < n) grey = new Uint8Array(n);
    if (hu && hu.table !== table) {
      const a = huAffine(hu.table);
      [table, affine] = [hu.table, a ? Int32Array.of(a.m, a.c, a.base) : undefined];
    }
    const status = hu ? addon.decode(bytes, width, height, grey, hu.table, hu.out, affine) : addon.decode(bytes, width, height, grey);
    if (status !== 0) return null;
    return hu ? grey.subarray(0, n) : grey.slice(0, n);
  };
}
