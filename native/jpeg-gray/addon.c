/*
 * The same decoder as gray.c, as a Node-API addon for x86-64 Linux (jpeg-gray.linux-x64.node, built
 * by build.sh from the same libjpeg-turbo source and idct.c): one-component 8-bit JPEG → grey
 * levels, and, when asked, those levels turned into HU through a 256-entry table in the same pass
 * over the rows. Each thread (worker) that loads it has its own decoder state (instance data). The
 * decode itself, a fresh decompressor a call, is gray-run.h, which gray.c runs too; a fatal libjpeg
 * error returns to the call by longjmp.
 *
 * decode(src: Uint8Array, width, height, grey: Uint8Array, table?: Int16Array, hu?: Int16Array, affine?: Int32Array): number
 *   affine: m, c, base with table[v] = base + ((m·v + c) >> 16) for every v (hu-simd.ts's huAffine,
 *   which checks it against all 256 entries): the rows are then converted 16 pixels at a time in SSE4.1.
 *   0: decoded cleanly; 1: libjpeg warned; 2: not a one-component image of width × height;
 *   3: out of memory; 4: libjpeg stopped (a fatal error: damaged or unsupported data).
 */
#include <setjmp.h>
#include <smmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <node_api.h>
#include "jpeglib.h"
#include "gray-run.h"

struct err_mgr {
  struct jpeg_error_mgr pub;
  jmp_buf back;
  int warned;
};

struct decoder {
  struct jpeg_decompress_struct cinfo;
  struct err_mgr jerr;
  struct gray_rows rows;
};

static void error_exit(j_common_ptr c) { longjmp(((struct err_mgr *)c->err)->back, 1); }
static void emit_message(j_common_ptr c, int level) { if (level < 0) ((struct err_mgr *)c->err)->warned = 1; }
static void output_message(j_common_ptr c) { (void)c; }

static void finalize(napi_env env, void *data, void *hint)
{
  (void)env; (void)hint;
  struct decoder *d = data;
  free(d->rows.rows);
  free(d);
}

/* the bytes of a typed array argument of the expected type, or NULL (an empty one: a valid address) */
static void *typed(napi_env env, napi_value v, napi_typedarray_type want, size_t *length)
{
  static uint8_t none[1];
  bool is;
  napi_typedarray_type type;
  void *data;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  return *length > 0 && data ? data : none;
}

/* n grey levels → HU: by the affine form in SSE4.1 lanes where given, the table for the rest */
static void to_hu(const uint8_t *g, int16_t *o, size_t n, const int16_t *table, const int32_t *affine)
{
  size_t i = 0;
  if (affine) {
    const __m128i m = _mm_set1_epi32(affine[0]), c = _mm_set1_epi32(affine[1]), base = _mm_set1_epi32(affine[2]);
#define HU4(v) _mm_add_epi32(_mm_srai_epi32(_mm_add_epi32(_mm_mullo_epi32(_mm_cvtepu8_epi32(v), m), c), 16), base)
    for (; i + 16 <= n; i += 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(g + i));
      _mm_storeu_si128((__m128i *)(o + i), _mm_packs_epi32(HU4(v), HU4(_mm_srli_si128(v, 4))));
      _mm_storeu_si128((__m128i *)(o + i + 8), _mm_packs_epi32(HU4(_mm_srli_si128(v, 8)), HU4(_mm_srli_si128(v, 12))));
    }
#undef HU4
  }
  for (; i < n; i++) o[i] = table[g[i]];
}

/* HU of each run of rows as libjpeg writes them, while they are in cache */
struct hu_out { const uint8_t *grey; int16_t *hu; uint32_t width; const int16_t *table; const int32_t *affine; };
static void rows_to_hu(void *arg, size_t first, size_t count)
{
  struct hu_out *o = arg;
  size_t at = first * o->width;
  to_hu(o->grey + at, o->hu + at, count * o->width, o->table, o->affine);
}

static int run(struct decoder *d, const uint8_t *src, size_t len, uint8_t *grey, uint32_t width, uint32_t height,
               const int16_t *table, int16_t *hu, const int32_t *affine)
{
  struct hu_out o = { grey, hu, width, table, affine };
  d->jerr.warned = 0;
  d->cinfo.err = jpeg_std_error(&d->jerr.pub);
  d->jerr.pub.error_exit = error_exit;
  d->jerr.pub.emit_message = emit_message;
  d->jerr.pub.output_message = output_message;
  if (setjmp(d->jerr.back)) {
    jpeg_destroy_decompress(&d->cinfo);
    return 4;
  }
  int status = gray_run(&d->cinfo, &d->rows, src, len, grey, width, height, table ? rows_to_hu : NULL, &o);
  return status ? status : d->jerr.warned;
}

static napi_value decode(napi_env env, napi_callback_info info)
{
  size_t argc = 7;
  napi_value argv[7], result;
  struct decoder *d;
  uint32_t width, height;
  size_t len, grey_len, table_len = 0, hu_len = 0, affine_len = 0;
  napi_valuetype t4 = napi_undefined, t6 = napi_undefined;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_instance_data(env, (void **)&d);
  uint8_t *src = argc >= 4 ? typed(env, argv[0], napi_uint8_array, &len) : NULL;
  uint8_t *grey = argc >= 4 ? typed(env, argv[3], napi_uint8_array, &grey_len) : NULL;
  if (!src || !grey || napi_get_value_uint32(env, argv[1], &width) != napi_ok || napi_get_value_uint32(env, argv[2], &height) != napi_ok) {
    napi_throw_type_error(env, NULL, "decode(src: Uint8Array, width, height, grey: Uint8Array[, table: Int16Array, hu: Int16Array[, affine: Int32Array]])");
    return NULL;
  }
  if (argc >= 5) napi_typeof(env, argv[4], &t4);
  int16_t *table = NULL, *hu = NULL;
  int32_t *affine = NULL;
  if (argc >= 6 && t4 != napi_undefined) {
    table = typed(env, argv[4], napi_int16_array, &table_len);
    hu = typed(env, argv[5], napi_int16_array, &hu_len);
    if (argc >= 7) napi_typeof(env, argv[6], &t6);
    if (t6 != napi_undefined) affine = typed(env, argv[6], napi_int32_array, &affine_len);
  }
  size_t n = (size_t)width * height;
  if (width == 0 || height == 0 || grey_len < n || (t4 != napi_undefined && (!table || table_len != 256 || !hu || hu_len < n)) ||
      (t6 != napi_undefined && (!affine || affine_len != 3))) {
    napi_throw_range_error(env, NULL, "decode: grey (and hu) must hold width × height pixels, table 256 entries, affine 3");
    return NULL;
  }
  napi_create_int32(env, run(d, src, len, grey, width, height, table, hu, affine), &result);
  return result;
}

NAPI_MODULE_INIT()
{
  struct decoder *d = calloc(1, sizeof *d);
  napi_value fn;
  if (!d) {
    napi_throw_error(env, NULL, "jpeg-gray: out of memory");
    return NULL;
  }
  napi_set_instance_data(env, d, finalize, NULL);
  napi_create_function(env, "decode", NAPI_AUTO_LENGTH, decode, NULL, &fn);
  napi_set_named_property(env, exports, "decode", fn);
  return exports;
}
