#!/usr/bin/env bash
# Builds jpeg-gray.wasm: libjpeg-turbo's decoder (Debian bookworm's source, 2.1.5) for WebAssembly
# with SIMD, as nodes/kernels/image-folder/wasm-jpeg.ts uses it; and the same decoder as a Node-API
# addon for x86-64 Linux, jpeg-gray.linux-x64.node (native-jpeg.ts), which the workers use where it
# loads. Needs clang-16, lld-16, wasi-libc, libclang-rt-16-dev-wasm32 and libsimde-dev (Debian
# packages), Node's headers (node_api.h: $NODE_INCLUDE, else /usr/include/node), and the source: a
# libjpeg-turbo 2.1.5 folder as $1, or else `apt-get source` (deb-src enabled) fetches it.
# What differs from libjpeg-turbo's own C build, and why (docs/scale.md, session 11):
# - -O3 -msimd128 (@cwasm/jpeg-turbo, used before, was built -Oz without SIMD);
# - the Huffman decoder's bit buffer is 64 bits (wasm has 64-bit integers; libjpeg-turbo picks
#   64 only where size_t is 64 bits): fewer refills, the same bits;
# - the exact inverse DCT in SIMD lanes (idct.c) in place of jidctint.c's scalar loop.
# The output is byte-identical to the C decoder's (test/nodes/image-folder-jpeg-gray.test.ts).
# The addon is the same C files and idct.c compiled for x86-64-v2 (SSE4.2: any x86-64 CPU since
# 2009), idct.c's WebAssembly intrinsics mapped to SSE by SIMDe (the same lane arithmetic, so the
# same bytes as the .wasm, which the tests check); no libjpeg-turbo x86 SIMD (it saturates where
# the C code wraps, and would differ from the .wasm on damaged files).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src="${1:-}"
if [ -z "$src" ]; then
  (cd "$work" && apt-get source -q --download-only libjpeg-turbo=1:2.1.5-2 >/dev/null && tar xzf libjpeg-turbo_2.1.5.orig.tar.gz)
  src="$work/libjpeg-turbo-2.1.5"
fi
mkdir "$work/src"
cp "$src"/*.c "$src"/*.h "$work/src/"
cp "$here"/jconfig.h "$here"/jconfigint.h "$work/src/"
sed 's/@COPYRIGHT_YEAR@/1991-2023/' "$src/jversion.h.in" > "$work/src/jversion.h"
# the 64-bit bit buffer on wasm32 (the same condition as x32's, in both places it is tested)
sed -i 's/defined(__x86_64__) && defined(__ILP32__)/defined(__wasm__)/' "$work/src/jdhuff.h" "$work/src/jdhuff.c"
grep -q 'defined(__wasm__)' "$work/src/jdhuff.h" && grep -q 'defined(__wasm__)' "$work/src/jdhuff.c"
files=(jcomapi jdapimin jdapistd jdatasrc jdcoefct jdcolor jddctmgr jdhuff jdinput jdmainct jdmarker
  jdmaster jdmerge jdphuff jdpostct jdsample jerror jidctflt jidctfst jidctint jidctred jmemmgr
  jmemnobs jquant1 jquant2 jutils)
cd "$work/src"
flags=(--target=wasm32-wasi -O3 -msimd128 -fno-strict-aliasing -I. -w)
objs=()
for f in "${files[@]}"; do clang-16 "${flags[@]}" -c "$f.c" -o "$f.o"; objs+=("$f.o"); done
# jsimd_none.c answers "no SIMD" for everything but the islow IDCT, which idct.c gives
clang-16 "${flags[@]}" -Djsimd_can_idct_islow=jsimd_none_can_idct_islow -Djsimd_idct_islow=jsimd_none_idct_islow -c jsimd_none.c -o jsimd_none.o
clang-16 "${flags[@]}" -Wall -Werror -c "$here/idct.c" -o idct.o
clang-16 "${flags[@]}" -Wall -Werror -c "$here/gray.c" -o gray.o
clang-16 --target=wasm32-wasi -O3 -nostartfiles -Wl,--no-entry,--strip-all \
  -Wl,--initial-memory=4194304 -o "$here/jpeg-gray.wasm" "${objs[@]}" jsimd_none.o idct.o gray.o
# the addon: the same sources for x86-64 Linux (size_t is 8 bytes there), in a folder of its own
mkdir "$work/addon"
cp ./*.c ./*.h "$work/addon/"
sed 's/^#define SIZEOF_SIZE_T  4$/#define SIZEOF_SIZE_T  8/' "$here/jconfigint.h" > "$work/addon/jconfigint.h"
grep -q 'SIZEOF_SIZE_T  8' "$work/addon/jconfigint.h"
printf '#define SIMDE_ENABLE_NATIVE_ALIASES\n#include <simde/wasm/simd128.h>\n' > "$work/addon/wasm_simd128.h"
cd "$work/addon"
node_include="${NODE_INCLUDE:-/usr/include/node}"
native=(-O3 -march=x86-64-v2 -fPIC -fvisibility=hidden -fno-strict-aliasing -I. -w)
objs=()
for f in "${files[@]}"; do clang-16 "${native[@]}" -c "$f.c" -o "$f.o"; objs+=("$f.o"); done
clang-16 "${native[@]}" -Djsimd_can_idct_islow=jsimd_none_can_idct_islow -Djsimd_idct_islow=jsimd_none_idct_islow -c jsimd_none.c -o jsimd_none.o
clang-16 "${native[@]}" -c "$here/idct.c" -o idct.o
clang-16 "${native[@]}" -Wall -Werror -I"$node_include" -c "$here/addon.c" -o addon.o
clang-16 -shared -Wl,--strip-all,--build-id=none -o "$here/jpeg-gray.linux-x64.node" "${objs[@]}" jsimd_none.o idct.o addon.o
# what was built, from what, with what: printed by the benchmarks, checked by the tests
cat > "$here/jpeg-gray.json" <<JSON
{
  "source": "libjpeg-turbo $(sed -n 's/^#define LIBJPEG_TURBO_VERSION  *//p' "$here/jconfig.h") (Debian bookworm's libjpeg-turbo_2.1.5.orig.tar.gz)",
  "compiler": "$(clang-16 --version | head -1)",
  "flags": "${flags[*]}",
  "sha256": "$(sha256sum "$here/jpeg-gray.wasm" | cut -d' ' -f1)",
  "addon": {
    "file": "jpeg-gray.linux-x64.node",
    "flags": "${native[*]}",
    "simde": "$(dpkg-query -W -f='${Version}' libsimde-dev 2>/dev/null || echo unknown)",
    "sha256": "$(sha256sum "$here/jpeg-gray.linux-x64.node" | cut -d' ' -f1)"
  }
}
JSON
chmod 644 "$here/jpeg-gray.wasm" "$here/jpeg-gray.linux-x64.node"
ls -l "$here/jpeg-gray.wasm" "$here/jpeg-gray.linux-x64.node"
