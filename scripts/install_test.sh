#!/usr/bin/env bash
# Installs a build into a temporary prefix and checks what a user gets: the files, the exported
# symbols of libwrun.so, a C program built with `pkg-config --cflags --libs wrun`, and a CMake
# project using find_package(wrun CONFIG) and wrun::wrun. Both programs run; given a model (the
# optional second argument, e.g. build/test-models/encoder.onnx) they also load it and list its
# inputs. Usage: scripts/install_test.sh [BUILD_DIR [MODEL.onnx]]. Prints "install-test: passed".
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MODEL=${2:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix
fail() { echo "install-test: FAILED: $*" >&2; exit 1; }

cmake --build "$BUILD" --target wrun wrun_shared >/dev/null
cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null

# Files.
for f in include/wrun.h bin/wrun; do [ -f "$PREFIX/$f" ] || fail "$f not installed"; done
PC=$(find "$PREFIX" -name wrun.pc)
[ -n "$PC" ] || fail "wrun.pc not installed"
CONFIG=$(find "$PREFIX" -name wrunConfig.cmake)
[ -n "$CONFIG" ] || fail "wrunConfig.cmake not installed"
export PKG_CONFIG_PATH=$(dirname "$PC")
LIBDIR=$(pkg-config --variable=libdir wrun)
LIB=$(readlink -f "$LIBDIR/libwrun.so")
[ -f "$LIB" ] || fail "libwrun.so not installed in $LIBDIR"
SONAME=$(readelf -d "$LIB" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -e "$LIBDIR/$SONAME" ] || fail "no $SONAME link for the SONAME"
"$PREFIX/bin/wrun" --version >/dev/null || fail "the installed wrun does not run"

# Exports: the C API and the version node only.
EXTRA=$(nm -D --defined-only "$LIB" | awk '{print $3}' | grep -v -E '^(wrun_[a-z0-9_]+@@WRUN_0|WRUN_0)$' || true)
[ -z "$EXTRA" ] || fail "libwrun.so exports more than the C API: $(echo "$EXTRA" | head -5 | tr '\n' ' ')"
NEXPORTS=$(nm -D --defined-only "$LIB" | grep -c ' wrun_')

cat >"$TMP/consumer.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <wrun.h>

int main(int argc, char** argv) {
  wrun_model* m = NULL;
  size_t i;
  if (strcmp(wrun_version(), WRUN_VERSION_STRING) != 0) {
    fprintf(stderr, "header %s, library %s\n", WRUN_VERSION_STRING, wrun_version());
    return 1;
  }
  if (wrun_model_load("/nonexistent.onnx", NULL, &m) != WRUN_ERR_IO || !*wrun_last_error()) {
    fprintf(stderr, "a bad path did not give WRUN_ERR_IO\n");
    return 1;
  }
  if (argc > 1) {
    if (wrun_model_load(argv[1], NULL, &m) != WRUN_OK) {
      fprintf(stderr, "%s\n", wrun_last_error());
      return 1;
    }
    for (i = 0; i < wrun_model_input_count(m); ++i) {
      wrun_value_info vi;
      wrun_model_input_info(m, i, &vi);
      printf("input %s %s rank %d\n", vi.name, wrun_dtype_name(vi.dtype), (int)vi.rank);
    }
    wrun_model_destroy(m);
  }
  printf("wrun %s\n", wrun_version());
  return 0;
}
EOF

# pkg-config consumer (the library is found at run time through LD_LIBRARY_PATH).
cc -std=c99 -Wall -Wextra -Werror "$TMP/consumer.c" $(pkg-config --cflags --libs wrun) \
  -o "$TMP/pc_consumer" || fail "the pkg-config consumer does not build"
LD_LIBRARY_PATH=$LIBDIR "$TMP/pc_consumer" $MODEL || fail "the pkg-config consumer failed"

# CMake consumer.
mkdir -p "$TMP/cmake_consumer"
cat >"$TMP/cmake_consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(wrun 0.1 CONFIG REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE wrun::wrun)
EOF
cmake -S "$TMP/cmake_consumer" -B "$TMP/cmake_consumer/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null || fail "find_package(wrun) failed"
cmake --build "$TMP/cmake_consumer/build" >/dev/null || fail "the CMake consumer does not build"
"$TMP/cmake_consumer/build/consumer" $MODEL || fail "the CMake consumer failed"

echo "install-test: passed ($SONAME, $NEXPORTS exported C functions, pkg-config and CMake consumers)"
