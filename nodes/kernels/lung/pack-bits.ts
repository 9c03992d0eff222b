// Two thresholds of an int16 slice at once, as packed bits, with WebAssembly SIMD: 16 pixels per
// step (two i16x8 compares, narrowed to i8x16, one bitmask). This is the one pass over every
// pixel of the fused chain; everything after it works on words and runs. The module is 167 bytes,
// assembled below from the instruction list in the comment (no toolchain needed).

// (func (export "pack") (param $src $n $da $ta $db $tb i32) (local $va $vb $x $y v128)
//   va = i16x8.splat(ta); vb = i16x8.splat(tb)
//   block loop
//     br_if 1 (i32.eqz n)
//     x = v128.load(src); y = v128.load offset=16 (src)
//     i32.store16(da, i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.gt_s(x, va), i16x8.gt_s(y, va))))
//     i32.store16(db, i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.gt_s(x, vb), i16x8.gt_s(y, vb))))
//     src += 32; da += 2; db += 2; n -= 1; br 0
//   end end)
const GET = 0x20, SET = 0x21, I32 = 0x41, ADD = 0x6a, SUB = 0x6b, EQZ = 0x45, STORE16 = 0x3b;
const SIMD = 0xfd, LOAD = 0x00, SPLAT16 = 0x10, GT16 = 0x31, BITMASK8 = 0x64, NARROW = 0x65;
const [src, n, da, ta, db, tb, va, vb, x, y] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

const compare = (out: number, v: number) => [
  GET, out,
  GET, x, GET, v, SIMD, GT16, GET, y, GET, v, SIMD, GT16, SIMD, NARROW, SIMD, BITMASK8,
  STORE16, 1, 0,
];
const bump = (l: number, by: number, op = ADD) => [GET, l, I32, by, op, SET, l];
const body = [
  1, 4, 0x7b,                                   // locals: 4 × v128
  GET, ta, SIMD, SPLAT16, SET, va, GET, tb, SIMD, SPLAT16, SET, vb,
  0x02, 0x40, 0x03, 0x40,                       // block, loop
  GET, n, EQZ, 0x0d, 1,                         // br_if 1
  GET, src, SIMD, LOAD, 4, 0, SET, x,
  GET, src, SIMD, LOAD, 4, 16, SET, y,
  ...compare(da, va), ...compare(db, vb),
  ...bump(src, 32), ...bump(da, 2), ...bump(db, 2), ...bump(n, 1, SUB),
  0x0c, 0, 0x0b, 0x0b, 0x0b,                    // br 0, end loop, end block, end func
];
const section = (id: number, bytes: number[]) => [id, bytes.length, ...bytes];
const name = (s: string) => [s.length, ...Buffer.from(s)];
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [1, 0x60, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
  ...section(3, [1, 0]),
  ...section(5, [1, 0, 1]),
  ...section(7, [2, ...name('pack'), 0, 0, ...name('memory'), 2, 0]),
  ...section(10, [1, body.length, ...body]),
]);

let compiled: WebAssembly.Module | undefined;

/** Pixels copied into the module's memory per call (keeps the copy buffer at 128 KiB, in cache). */
const CHUNK = 65536;

/** Per-thread packer: owns a WebAssembly memory with a pixel chunk buffer and two bit planes. */
export class BitPacker {
  private readonly exports: { pack: (...a: number[]) => void; memory: WebAssembly.Memory };
  private pixels = -1;
  /** Pixels > tA, as a flat bit stream (⌈pixels/32⌉ words and a zero word). */
  a = new Uint32Array(0);
  /** Pixels > tB, same layout. */
  b = new Uint32Array(0);
  private src = new Int16Array(0);

  constructor() {
    compiled ??= new WebAssembly.Module(MODULE);
    this.exports = new WebAssembly.Instance(compiled).exports as BitPacker['exports'];
  }

  /** Threshold `slice` at tA and tB (integers in [-32768, 32767], strict >). */
  pack(slice: Int16Array, tA: number, tB: number): void {
    const n = slice.length, words = (n + 31) >> 5;
    this.layout(n);
    const da = this.a.byteOffset, db = this.b.byteOffset;
    this.a[words - 1] = 0;                       // an odd group count writes half of it
    this.b[words - 1] = 0;
    for (let p = 0; p < n; p += CHUNK) {
      const m = Math.min(CHUNK, n - p);
      this.src.set(slice.subarray(p, p + m));
      this.src.fill(-32768, m);
      this.exports.pack(0, (m + 15) >> 4, da + p / 8, tA, db + p / 8, tB);
    }
    this.a[words] = 0;
    this.b[words] = 0;
  }

  private layout(pixels: number): void {
    if (pixels === this.pixels && this.src.buffer === this.exports.memory.buffer) return;
    const words = (pixels + 31) >> 5;
    const bytes = CHUNK * 2 + 2 * (words + 1) * 4;
    const mem = this.exports.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    this.src = new Int16Array(mem.buffer, 0, CHUNK);
    this.a = new Uint32Array(mem.buffer, CHUNK * 2, words + 1);
    this.b = new Uint32Array(mem.buffer, CHUNK * 2 + (words + 1) * 4, words + 1);
    this.pixels = pixels;
  }
}
