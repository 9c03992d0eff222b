/* libjpeg-turbo's jconfigint.h for this WebAssembly build (see build.sh) */
#define BUILD  "ctflow"
#undef inline
#define INLINE  __inline__ __attribute__((always_inline))
#define THREAD_LOCAL
#define PACKAGE_NAME  "libjpeg-turbo"
#define VERSION  "2.1.5"
#define SIZEOF_SIZE_T  4
#define FALLTHROUGH  __attribute__((fallthrough));
