/* libjpeg-turbo's jconfig.h for this WebAssembly build (see build.sh) */
#define JPEG_LIB_VERSION  62
#define LIBJPEG_TURBO_VERSION  2.1.5
#define LIBJPEG_TURBO_VERSION_NUMBER  2001005
#define MEM_SRCDST_SUPPORTED  1
/* As libjpeg-turbo's SIMD builds (sharp's, OpenCV's): 16-bit multipliers in the DCT tables */
#define WITH_SIMD  1
#define BITS_IN_JSAMPLE  8
