/*
 * One-component 8-bit JPEG → grey levels, for ctflow's image-folder decoder
 * (nodes/kernels/image-folder/wasm-jpeg.ts): libjpeg's own API over a memory source, asked for
 * JCS_GRAYSCALE with the exact ("islow") DCT, as TurboJPEG's tjDecompress2(TJPF_GRAY) asks it.
 * A fatal libjpeg error calls the host's `stop`, which throws (this build has no longjmp): the
 * host drops the instance. A warning (damaged data filled in) is returned, not printed. Every call
 * decodes with a fresh decompressor, as sharp does: libjpeg keeps the quantization and Huffman
 * tables of the last image in a decompressor, so a reused one would decode a slice that lacks its
 * tables with the previous slice's instead of refusing it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "jpeglib.h"

__attribute__((import_module("env"), import_name("stop"))) _Noreturn void host_stop(int code);

static struct jpeg_decompress_struct cinfo;
static struct jpeg_error_mgr jerr;
static int warned;
static JSAMPROW *rows;
static uint32_t rows_cap;

static void error_exit(j_common_ptr c) { host_stop(c->err->msg_code); }
static void emit_message(j_common_ptr c, int level) { (void)c; if (level < 0) warned = 1; }
static void output_message(j_common_ptr c) { (void)c; }

__attribute__((export_name("alloc"))) void *gray_alloc(uint32_t n) { return malloc(n); }
__attribute__((export_name("release"))) void gray_release(void *p) { free(p); }

/*
 * Decodes src[0, len) into dst (width × height grey levels, rows packed). 0: decoded cleanly;
 * 1: libjpeg warned; 2: not a one-component image of width × height; 3: out of memory.
 */
__attribute__((export_name("decode")))
int gray_decode(const uint8_t *src, uint32_t len, uint8_t *dst, uint32_t width, uint32_t height)
{
  if (height > rows_cap) {
    free(rows);
    rows = malloc(height * sizeof(JSAMPROW));
    rows_cap = rows ? height : 0;
    if (!rows) return 3;
  }
  warned = 0;
  cinfo.err = jpeg_std_error(&jerr);
  jerr.error_exit = error_exit;
  jerr.emit_message = emit_message;
  jerr.output_message = output_message;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, src, len);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.num_components != 1 || cinfo.image_width != width || cinfo.image_height != height) {
    jpeg_destroy_decompress(&cinfo);
    return 2;
  }
  cinfo.out_color_space = JCS_GRAYSCALE;
  cinfo.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&cinfo);
  for (uint32_t r = 0; r < height; r++) rows[r] = dst + (size_t)r * width;
  while (cinfo.output_scanline < cinfo.output_height)
    jpeg_read_scanlines(&cinfo, rows + cinfo.output_scanline, cinfo.output_height - cinfo.output_scanline);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return warned;
}
