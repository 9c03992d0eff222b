#!/usr/bin/env bash
# Builds jpeg-gray.wasm: libjpeg-turbo's decoder (Debian bookworm's source, 2.1.5) for WebAssembly
# with SIMD, as nodes/kernels/image-folder/wasm-jpeg.ts uses it. Needs clang-16, lld-16,
# wasi-libc and libclang-rt-16-dev-wasm32 (Debian packages), and the source: a libjpeg-turbo
# 2.1.5 folder as $1, or else `apt-get source` (deb-src enabled) fetches it into a temp folder.
# What differs from libjpeg-turbo's own C build, and why (docs/scale.md, session 11):
# - -O3 -msimd128 (@cwasm/jpeg-turbo, used before, was built -Oz without SIMD);
# - the Huffman decoder's bit buffer is 64 bits (wasm has 64-bit integers; libjpeg-turbo picks
#   64 only where size_t is 64 bits): fewer refills, the same bits;
# - the exact inverse DCT in SIMD lanes (idct.c) in place of jidctint.c's scalar loop.
# The output is byte-identical to the C decoder's (test/nodes/image-folder/jpeg-gray.test.ts).
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
# what was built, from what, with what: printed by the benchmarks, checked by the tests
cat > "$here/jpeg-gray.json" <<JSON
{
  "source": "libjpeg-turbo $(sed -n 's/^#define LIBJPEG_TURBO_VERSION  *//p' "$here/jconfig.h") (Debian bookworm's libjpeg-turbo_2.1.5.orig.tar.gz)",
  "compiler": "$(clang-16 --version | head -1)",
  "flags": "${flags[*]}",
  "sha256": "$(sha256sum "$here/jpeg-gray.wasm" | cut -d' ' -f1)"
}
JSON
chmod 644 "$here/jpeg-gray.wasm"
ls -l "$here/jpeg-gray.wasm"
