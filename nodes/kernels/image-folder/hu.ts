// Hounsfield units ↔ 8-bit grey levels through a display window [lo, hi] (COV19-CT-DB: [-1150, 350]).
// Writer: v8 = round((clamp(hu, lo, hi) - lo) / (hi - lo) * 255). Reader: hu = round(lo + v8 * (hi - lo) / 255).
import { endianness } from 'node:os';

export type Window = [number, number];

export const DEFAULT_WINDOW: Window = [-1150, 350];

/** The window as [lo, hi], or an error naming `where` when it is not two finite numbers lo < hi. */
export function checkWindow(window: readonly number[], where: string): Window {
  const [lo, hi] = window;
  if (window.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || lo >= hi) {
    throw new Error(`${where}: window must be [lo, hi] in HU with lo < hi (e.g. [-1150, 350]), got ${JSON.stringify(window)}`);
  }
  if (lo < -32768 || hi > 32767) {
    throw new Error(`${where}: window ${JSON.stringify(window)} leaves the int16 range [-32768, 32767]`);
  }
  return [lo, hi];
}

/** HU of each 8-bit grey level. */
export function byteToHuTable([lo, hi]: Window): Int16Array {
  const t = new Int16Array(256);
  for (let v = 0; v < 256; v++) t[v] = Math.round(lo + (v * (hi - lo)) / 255);
  return t;
}

/** 8-bit grey levels → little-endian int16 HU bytes (the Slices `pixels` layout). */
export function bytesToHuPixels(grey: Uint8Array, table: Int16Array): Uint8Array {
  const out = new Int16Array(grey.length);
  greyToHu(grey, table, out);
  if (endianness() === 'BE') Buffer.from(out.buffer).swap16();
  return new Uint8Array(out.buffer);
}

/**
 * HU of each grey level of `grey` into `out` (int16 in the platform's byte order: callers on a
 * big-endian machine swap to the little-endian `pixels` layout). Two pixels per look-up when both
 * arrays are aligned for it (a 65,536-entry table of HU pairs), one otherwise; the same values.
 */
export function greyToHu(grey: Uint8Array, table: Int16Array, out: Int16Array): void {
  const n = grey.length;
  let i = 0;
  if (n >= 4096 && grey.byteOffset % 2 === 0 && out.byteOffset % 4 === 0) {
    const pairs = pairTable(table), g = new Uint16Array(grey.buffer, grey.byteOffset, n >> 1), o = new Int32Array(out.buffer, out.byteOffset, n >> 1);
    for (let k = 0; k < g.length; k++) o[k] = pairs[g[k]];
    i = 2 * g.length;
  }
  for (; i < n; i++) out[i] = table[grey[i]];
}

let lastTable: Int16Array | undefined, lastPairs: Int32Array | undefined;

/**
 * Two grey bytes read as one platform-order uint16 → their two HU values as one platform-order
 * int32. Kept for the last table seen, matched by content (a worker gets its copy with each task).
 */
function pairTable(table: Int16Array): Int32Array {
  if (lastPairs && (table === lastTable || sameValues(table, lastTable!))) return lastPairs;
  const pairs = new Int32Array(65536), bytes = new Uint8Array(2), u16 = new Uint16Array(bytes.buffer);
  const two = new Int16Array(2), i32 = new Int32Array(two.buffer);
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      bytes[0] = a; bytes[1] = b; two[0] = table[a]; two[1] = table[b];
      pairs[u16[0]] = i32[0];
    }
  }
  lastTable = table;
  lastPairs = pairs;
  return pairs;
}

function sameValues(a: Int16Array, b: Int16Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Little-endian int16 HU bytes → 8-bit grey levels, clamped to the window. */
export function huPixelsToBytes(pixels: Uint8Array, [lo, hi]: Window): Uint8Array {
  const n = pixels.length >> 1;
  const out = new Uint8Array(n);
  const view = new DataView(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  for (let i = 0; i < n; i++) {
    const hu = Math.min(hi, Math.max(lo, view.getInt16(2 * i, true)));
    out[i] = Math.round(((hu - lo) / (hi - lo)) * 255);
  }
  return out;
}
