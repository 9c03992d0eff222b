/*
 * One-component 8-bit JPEG → grey levels, for ctflow's image-folder decoder
 * (nodes/kernels/image-folder/wasm-jpeg.ts): libjpeg's own API over a memory source, asked for
 * JCS_GRAYSCALE with the exact ("islow") DCT, as TurboJPEG's tjDecompress2(TJPF_GRAY) asks it.
 * A fatal libjpeg error calls the host's `stop`, which throws (this build has no longjmp): the
 * host drops the instance. A warning (damaged data filled in) is returned, not printed. The decode
 * itself, a fresh decompressor a call, is gray-run.h, which the Node addon (addon.c) runs too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "jpeglib.h"
#include "gray-run.h"

__attribute__((import_module("env"), import_name("stop"))) _Noreturn void host_stop(int code);

static struct jpeg_decompress_struct cinfo;
static struct jpeg_error_mgr jerr;
static int warned;
static struct gray_rows rows;

static void error_exit(j_common_ptr c) { host_stop(c->err->msg_code); }
static void emit_message(j_common_ptr c, int level) { (void)c; if (level < 0) warned = 1; }
static void output_message(j_common_ptr c) { (void)c; }

__attribute__((export_name("alloc"))) void *gray_alloc(uint32_t n) { return malloc(n); }
__attribute__((export_name("release"))) void gray_release(void *p) { free(p); }

/*
 * Decodes src[0, len) into dst (width × height grey levels, rows packed): gray-run.h. 0: decoded
 * cleanly; 1: libjpeg warned; 2: not a one-component image of width × height; 3: out of memory.
 */
__attribute__((export_name("decode")))
int gray_decode(const uint8_t *src, uint32_t len, uint8_t *dst, uint32_t width, uint32_t height)
{
  warned = 0;
  cinfo.err = jpeg_std_error(&jerr);
  jerr.error_exit = error_exit;
  jerr.emit_message = emit_message;
  jerr.output_message = output_message;
  int status = gray_run(&cinfo, &rows, src, len, dst, width, height, NULL, NULL);
  return status ? status : warned;
}
