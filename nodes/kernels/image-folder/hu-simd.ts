// Grey levels → HU in WebAssembly SIMD, 16 pixels an iteration, on the memory of the JPEG decoder
// that wrote them (wasm-jpeg.ts): ≈ 0.6 ms a 512² slice of table look-ups in JS (the pair table of
// hu.ts) becomes a few dozen vector instructions per 16 pixels. The window's table is computed as
// table[v] = base + ((m·v + c) >> 16) in int32 lanes, with m and c found for that table and checked
// against all 256 entries; a table no such m, c fit (no window of int16 HU has been seen to need
// it) is converted by hu.ts's look-ups instead, so the values are the table's either way.
import { assemble, forUp, get, I32, I_ADD, I_SPLAT, i32, LOAD, set, STORE, V128, ADD, SHL } from '../tf/wasm-asm.js';

/** table[v] = base + ((m·v + c) >> 16) for every grey level v (int32 arithmetic). */
export interface HuAffine { m: number; c: number; base: number }

let lastTable: Int16Array | undefined, lastAffine: HuAffine | null = null;

/** m and c for `table` (the first found, m nearest the slope first), or null when none fits int32 lanes. */
export function huAffine(table: Int16Array): HuAffine | null {
  if (lastTable && lastTable.length === table.length && lastTable.every((v, i) => v === table[i])) return lastAffine;
  lastTable = table.slice();
  lastAffine = null;
  const base = table[0], slope = Math.round(((table[255] - base) / 255) * 65536);
  for (let d = 0; d < 1024 && !lastAffine; d++) {
    for (const m of d === 0 ? [slope] : [slope + d, slope - d]) {
      let lo = -Infinity, hi = Infinity;
      for (let v = 0; v < 256; v++) {
        const k = table[v] - base;
        lo = Math.max(lo, k * 65536 - m * v);
        hi = Math.min(hi, (k + 1) * 65536 - m * v);
      }
      const c = lo;
      if (!(lo < hi) || Math.abs(m) * 255 + Math.abs(c) >= 2 ** 31) continue;
      const a = { m, c, base };
      if (table.every((t, v) => base + ((Math.imul(m, v) + c) >> 16) === t)) { lastAffine = a; break; }
    }
  }
  return lastAffine;
}

const simd = (op: number) => [0xfd, ...(op < 128 ? [op] : [(op & 0x7f) | 0x80, op >> 7])];
const [EXT_LO_8U, EXT_HI_8U, EXT_LO_16U, EXT_HI_16U, NARROW_S, SHR_S, MUL] = [0x89, 0x8a, 0xa9, 0xaa, 0x85, 0xac, 0xb5].map(simd);

// hu(src, dst, n, m, c, base): params 0–5; locals: i 6, t 7 (v128), vm 8, vc 9, vb 10
const [SRC, DST, N, M, C, BASE, I, T, VM, VC, VB] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** The 8 u16 lanes of T, widened by `ext`, through the affine map: one i32x4 of HU. */
const affine = (ext: number[]) => [...get(T), ...ext, ...get(VM), ...MUL, ...get(VC), ...I_ADD, ...i32(16), ...SHR_S, ...get(VB), ...I_ADD];
/** 8 grey levels (T, widened from the loaded bytes by `ext`) → 8 int16 HU stored at dst + 2i + offset. */
const half = (ext: number[], offset: number) => [
  ...get(DST), ...get(I), ...i32(1), SHL, ADD,
  ...get(SRC), ...get(I), ADD, ...LOAD(), ...ext, ...set(T),
  ...affine(EXT_LO_16U), ...affine(EXT_HI_16U), ...NARROW_S, ...STORE(offset),
];
const BYTES = assemble([{
  name: 'hu', params: [I32, I32, I32, I32, I32, I32], locals: [[1, I32], [4, V128]],
  body: [
    ...get(M), ...I_SPLAT, ...set(VM), ...get(C), ...I_SPLAT, ...set(VC), ...get(BASE), ...I_SPLAT, ...set(VB),
    ...forUp(I, get(N), i32(16), [...half(EXT_LO_8U, 0), ...half(EXT_HI_8U, 16)]),
  ],
}]);

let module: WebAssembly.Module | null | undefined;

/**
 * The kernel on `memory`: n int16 HU at byte address dst from n grey bytes at src (n a multiple of
 * 16), or null where WebAssembly SIMD is not available.
 */
export function simdHu(memory: WebAssembly.Memory): ((src: number, dst: number, n: number, a: HuAffine) => void) | null {
  try {
    module ??= new WebAssembly.Module(BYTES);
  } catch {
    module = null;
  }
  if (!module) return null;
  const { hu } = new WebAssembly.Instance(module, { env: { memory } }).exports as { hu: (...a: number[]) => void };
  return (src, dst, n, a) => hu(src, dst, n, a.m, a.c, a.base);
}
