// Hounsfield units ↔ 8-bit grey levels through a display window [lo, hi] (COV19-CT-DB: [-1150, 350]).
// Writer: v8 = round((clamp(hu, lo, hi) - lo) / (hi - lo) * 255). Reader: hu = round(lo + v8 * (hi - lo) / 255).

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
  const out = new Uint8Array(grey.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < grey.length; i++) view.setInt16(2 * i, table[grey[i]], true);
  return out;
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
