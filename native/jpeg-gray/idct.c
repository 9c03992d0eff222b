/*
 * libjpeg's exact ("islow") inverse DCT in WebAssembly SIMD: the arithmetic of jidctint.c's
 * jpeg_idct_islow as wasm32 runs it (32-bit JLONG, wrapping), eight columns then eight rows at a
 * time in i32x4 pairs, so the samples are the same bytes for every input, damaged ones included:
 * - each pass keeps jidctint.c's shortcut for a column (a row) whose AC terms are all zero, per
 *   lane, since for coefficients large enough to wrap it is not the same number as the full sum;
 * - the post-IDCT range limit (jdmaster.c's table, indexed by the value & 1023) is computed: the
 *   value wrapped into [-512, 511], plus 128, clamped to [0, 255].
 * Replaces jsimd_none.c's jsimd_can_idct_islow / jsimd_idct_islow (build.sh renames those).
 */
#define JPEG_INTERNALS
#include <wasm_simd128.h>
#include "jinclude.h"
#include "jpeglib.h"
#include "jdct.h"
#include "jsimddct.h"

#define CONST_BITS 13
#define PASS1_BITS 2

/* Eight lanes: columns 0-3 in lo, 4-7 in hi (or rows, in the second pass) */
typedef struct { v128_t lo, hi; } v8;

static inline v8 add(v8 a, v8 b) { return (v8){ wasm_i32x4_add(a.lo, b.lo), wasm_i32x4_add(a.hi, b.hi) }; }
static inline v8 sub(v8 a, v8 b) { return (v8){ wasm_i32x4_sub(a.lo, b.lo), wasm_i32x4_sub(a.hi, b.hi) }; }
static inline v8 mul(v8 a, int32_t c) { v128_t k = wasm_i32x4_splat(c); return (v8){ wasm_i32x4_mul(a.lo, k), wasm_i32x4_mul(a.hi, k) }; }
static inline v8 shl(v8 a, int n) { return (v8){ wasm_i32x4_shl(a.lo, n), wasm_i32x4_shl(a.hi, n) }; }
static inline v8 descale(v8 x, int n)
{
  v128_t r = wasm_i32x4_splat(1 << (n - 1));
  return (v8){ wasm_i32x4_shr(wasm_i32x4_add(x.lo, r), n), wasm_i32x4_shr(wasm_i32x4_add(x.hi, r), n) };
}
/* mask ? a : b, lane by lane */
static inline v8 pick(v8 mask, v8 a, v8 b) { return (v8){ wasm_v128_bitselect(a.lo, b.lo, mask.lo), wasm_v128_bitselect(a.hi, b.hi, mask.hi) }; }

/* One 1-D pass over in[0..7] (lanes: the other dimension); out[k] before descaling. */
static inline void idct8(const v8 in[8], v8 out[8])
{
  v8 z1 = mul(add(in[2], in[6]), 4433);                       /* FIX_0_541196100 */
  v8 tmp2 = add(z1, mul(in[6], -15137));                      /* -FIX_1_847759065 */
  v8 tmp3 = add(z1, mul(in[2], 6270));                        /* FIX_0_765366865 */
  v8 tmp0 = shl(add(in[0], in[4]), CONST_BITS);
  v8 tmp1 = shl(sub(in[0], in[4]), CONST_BITS);
  v8 tmp10 = add(tmp0, tmp3), tmp13 = sub(tmp0, tmp3);
  v8 tmp11 = add(tmp1, tmp2), tmp12 = sub(tmp1, tmp2);

  tmp0 = in[7]; tmp1 = in[5]; tmp2 = in[3]; tmp3 = in[1];
  z1 = add(tmp0, tmp3);
  v8 z2 = add(tmp1, tmp2), z3 = add(tmp0, tmp2), z4 = add(tmp1, tmp3);
  v8 z5 = mul(add(z3, z4), 9633);                             /* FIX_1_175875602 */
  tmp0 = mul(tmp0, 2446);                                     /* FIX_0_298631336 */
  tmp1 = mul(tmp1, 16819);                                    /* FIX_2_053119869 */
  tmp2 = mul(tmp2, 25172);                                    /* FIX_3_072711026 */
  tmp3 = mul(tmp3, 12299);                                    /* FIX_1_501321110 */
  z1 = mul(z1, -7373);                                        /* -FIX_0_899976223 */
  z2 = mul(z2, -20995);                                       /* -FIX_2_562915447 */
  z3 = add(mul(z3, -16069), z5);                              /* -FIX_1_961570560 */
  z4 = add(mul(z4, -3196), z5);                               /* -FIX_0_390180644 */
  tmp0 = add(tmp0, add(z1, z3));
  tmp1 = add(tmp1, add(z2, z4));
  tmp2 = add(tmp2, add(z2, z3));
  tmp3 = add(tmp3, add(z1, z4));

  out[0] = add(tmp10, tmp3); out[7] = sub(tmp10, tmp3);
  out[1] = add(tmp11, tmp2); out[6] = sub(tmp11, tmp2);
  out[2] = add(tmp12, tmp1); out[5] = sub(tmp12, tmp1);
  out[3] = add(tmp13, tmp0); out[4] = sub(tmp13, tmp0);
}

/* The 4×4 block a[0..3] (rows) transposed in place */
static inline void transpose4(v128_t *a, v128_t *b, v128_t *c, v128_t *d)
{
  v128_t t0 = wasm_i32x4_shuffle(*a, *b, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(*a, *b, 2, 6, 3, 7);
  v128_t t2 = wasm_i32x4_shuffle(*c, *d, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(*c, *d, 2, 6, 3, 7);
  *a = wasm_i64x2_shuffle(t0, t2, 0, 2); *b = wasm_i64x2_shuffle(t0, t2, 1, 3);
  *c = wasm_i64x2_shuffle(t1, t3, 0, 2); *d = wasm_i64x2_shuffle(t1, t3, 1, 3);
}

/* m[r][c] → m[c][r] */
static inline void transpose(v8 m[8])
{
  transpose4(&m[0].lo, &m[1].lo, &m[2].lo, &m[3].lo);
  transpose4(&m[4].hi, &m[5].hi, &m[6].hi, &m[7].hi);
  transpose4(&m[0].hi, &m[1].hi, &m[2].hi, &m[3].hi);
  transpose4(&m[4].lo, &m[5].lo, &m[6].lo, &m[7].lo);
  for (int i = 0; i < 4; i++) { v128_t t = m[i].hi; m[i].hi = m[i + 4].lo; m[i + 4].lo = t; }
}

GLOBAL(int)
jsimd_can_idct_islow(void)
{
  return 1;
}

GLOBAL(void)
jsimd_idct_islow(j_decompress_ptr cinfo, jpeg_component_info *compptr,
                 JCOEFPTR coef_block, JSAMPARRAY output_buf,
                 JDIMENSION output_col)
{
  const ISLOW_MULT_TYPE *quant = (const ISLOW_MULT_TYPE *)compptr->dct_table;
  v8 in[8], w[8];
  v128_t ac = wasm_i32x4_splat(0);
  for (int k = 0; k < 8; k++) {
    v128_t c = wasm_v128_load(coef_block + 8 * k), q = wasm_v128_load(quant + 8 * k);
    in[k] = (v8){ wasm_i32x4_extmul_low_i16x8(c, q), wasm_i32x4_extmul_high_i16x8(c, q) };
    if (k) ac = wasm_v128_or(ac, c);                          /* jidctint.c tests the coefficients */
  }
  /* Pass 1, lanes = columns: w[k] = row k of the workspace */
  v128_t zero16 = wasm_i16x8_eq(ac, wasm_i16x8_splat(0));
  v8 dconly = { wasm_i32x4_extend_low_i16x8(zero16), wasm_i32x4_extend_high_i16x8(zero16) };
  idct8(in, w);
  v8 dc = shl(in[0], PASS1_BITS);
  for (int k = 0; k < 8; k++) w[k] = pick(dconly, dc, descale(w[k], CONST_BITS - PASS1_BITS));

  /* Pass 2, lanes = rows: w[k] = column k of the workspace */
  transpose(w);
  v128_t lo = w[1].lo, hi = w[1].hi;
  for (int k = 2; k < 8; k++) { lo = wasm_v128_or(lo, w[k].lo); hi = wasm_v128_or(hi, w[k].hi); }
  v8 rowdc = { wasm_i32x4_eq(lo, wasm_i32x4_splat(0)), wasm_i32x4_eq(hi, wasm_i32x4_splat(0)) };
  idct8(w, in);
  v8 dcrow = descale(w[0], PASS1_BITS + 3);
  v128_t m1023 = wasm_i32x4_splat(1023), c512 = wasm_i32x4_splat(512), c384 = wasm_i32x4_splat(384);
  v128_t out[8];                                              /* i16 lanes: column k over the rows */
  for (int k = 0; k < 8; k++) {
    v8 x = pick(rowdc, dcrow, descale(in[k], CONST_BITS + PASS1_BITS + 3));
    /* wrapped into [-512, 511], + 128; the saturating narrowings below clamp to [0, 255] */
    x.lo = wasm_i32x4_sub(wasm_v128_and(wasm_i32x4_add(x.lo, c512), m1023), c384);
    x.hi = wasm_i32x4_sub(wasm_v128_and(wasm_i32x4_add(x.hi, c512), m1023), c384);
    out[k] = wasm_i16x8_narrow_i32x4(x.lo, x.hi);
  }
  /* 8×8 i16 transpose: out[r] = row r */
  v128_t a[8], b[8];
  for (int i = 0; i < 8; i += 2) {
    a[i] = wasm_i16x8_shuffle(out[i], out[i + 1], 0, 8, 1, 9, 2, 10, 3, 11);
    a[i + 1] = wasm_i16x8_shuffle(out[i], out[i + 1], 4, 12, 5, 13, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4)
    for (int j = 0; j < 2; j++) {
      b[i + 2 * j] = wasm_i32x4_shuffle(a[i + j], a[i + j + 2], 0, 4, 1, 5);
      b[i + 2 * j + 1] = wasm_i32x4_shuffle(a[i + j], a[i + j + 2], 2, 6, 3, 7);
    }
  for (int j = 0; j < 4; j++) {
    v128_t r0 = wasm_i64x2_shuffle(b[j], b[j + 4], 0, 2), r1 = wasm_i64x2_shuffle(b[j], b[j + 4], 1, 3);
    v128_t bytes = wasm_u8x16_narrow_i16x8(r0, r1);
    wasm_v128_store64_lane(output_buf[2 * j] + output_col, bytes, 0);
    wasm_v128_store64_lane(output_buf[2 * j + 1] + output_col, bytes, 1);
  }
}
