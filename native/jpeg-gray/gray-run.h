/*
 * The decode both builds run (gray.c for WebAssembly, addon.c for Node): src[0, len) into dst,
 * width × height grey levels, rows packed, by libjpeg's exact ("islow") inverse DCT, with a fresh
 * decompressor a call (libjpeg keeps a decompressor's last tables: reused, it would decode a slice
 * missing its tables with the previous slice's). `done(arg, first, count)`, when given, is told of
 * each run of rows as libjpeg writes them. The caller has set cinfo->err, whose error_exit does not
 * return (the host throws, or longjmp). 0: decoded; 2: not a one-component image of width × height;
 * 3: out of memory for the row pointers.
 */
#include <stdint.h>
#include <stdlib.h>

struct gray_rows { JSAMPROW *rows; uint32_t cap; };

static int gray_run(j_decompress_ptr cinfo, struct gray_rows *r, const uint8_t *src, size_t len, uint8_t *dst,
                    uint32_t width, uint32_t height, void (*done)(void *arg, size_t first, size_t count), void *arg)
{
  if (height > r->cap) {
    free(r->rows);
    r->rows = malloc(height * sizeof(JSAMPROW));
    r->cap = r->rows ? height : 0;
    if (!r->rows) return 3;
  }
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, src, (unsigned long)len);
  jpeg_read_header(cinfo, TRUE);
  if (cinfo->num_components != 1 || cinfo->image_width != width || cinfo->image_height != height) {
    jpeg_destroy_decompress(cinfo);
    return 2;
  }
  cinfo->out_color_space = JCS_GRAYSCALE;
  cinfo->dct_method = JDCT_ISLOW;
  jpeg_start_decompress(cinfo);
  for (uint32_t y = 0; y < height; y++) r->rows[y] = dst + (size_t)y * width;
  while (cinfo->output_scanline < cinfo->output_height) {
    JDIMENSION first = cinfo->output_scanline;
    JDIMENSION got = jpeg_read_scanlines(cinfo, r->rows + first, cinfo->output_height - first);
    if (done) done(arg, first, got);
  }
  jpeg_finish_decompress(cinfo);
  jpeg_destroy_decompress(cinfo);
  return 0;
}
