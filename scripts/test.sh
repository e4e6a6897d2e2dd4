#!/usr/bin/env bash
# Installs dependencies, builds wrun (Release and ASan+UBSan), generates the end-to-end test
# models with PyTorch, and runs every test. Prints the seconds each stage took and one closing
# line "tests: N passed, N failed, N skipped". Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-$(nproc)}
declare -a STAGES=()
stage_start=0
begin() { stage_name=$1; stage_start=$(date +%s); echo "=== $1"; }
end() { local t=$(( $(date +%s) - stage_start )); STAGES+=("$stage_name: ${t}s"); echo "=== $stage_name took ${t}s"; }

total_pass=0; total_fail=0; total_skip=0
# Runs a gtest binary, adds its counts to the totals; never exits early so all suites report.
run_gtest() {
  local log; log=$(mktemp)
  set +e
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local p f s
  p=$(grep -E '^\[==========\] [0-9]+ tests? from .* ran' "$log" | tail -1 | awk '{print $2}' || true)
  f=$(grep -E '^\[  FAILED  \] [0-9]+ tests?,' "$log" | tail -1 | awk '{print $3}' || true)
  s=$(grep -E '^\[  SKIPPED \] [0-9]+ tests?,' "$log" | tail -1 | awk '{print $3}' || true)
  p=${p:-0}; f=${f:-0}; s=${s:-0}
  total_pass=$((total_pass + p - f - s)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then total_fail=$((total_fail + 1)); echo "error: $1 exited $rc"; fi
  rm -f "$log"
}

begin setup
scripts/setup.sh
end

begin build-release
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
end

begin test-models
/usr/bin/python3 scripts/make_test_models.py --out build/test-models
end

begin test-release
run_gtest build/wrun_tests
end

begin models
# The bundled models (models/*/): the test split regenerated, `wrun eval` must reproduce each
# card's error counts exactly (scripts/check_models.sh).
log=$(mktemp)
set +e
scripts/check_models.sh 2>&1 | tee "$log"
set -e
p=$(grep -E '^models: [0-9]+ passed' "$log" | awk '{print $2}' || true)
f=$(grep -E '^models: [0-9]+ passed' "$log" | awk '{print $4}' || true)
if [ -z "$p" ]; then total_fail=$((total_fail + 1)); echo "error: scripts/check_models.sh failed"
else total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); fi
rm -f "$log"
end

begin install-test
# cmake --install into a temporary prefix; C (pkg-config) and CMake (find_package) consumers.
if scripts/install_test.sh build build/test-models/encoder.onnx; then
  total_pass=$((total_pass + 1))
else
  total_fail=$((total_fail + 1)); echo "error: scripts/install_test.sh failed"
fi
end

begin build-asan
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWRUN_SANITIZE=ON \
  -DWRUN_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$JOBS" --target wrun_tests wrun
end

begin test-asan
# The ONNX node tests already ran in Release; under the sanitizers run everything else plus them
# too, since they exercise every kernel with edge shapes.
WRUN_TEST_MODELS="$ROOT/build/test-models" ASAN_OPTIONS=detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_gtest build-asan/wrun_tests
end

begin fuzz
# libFuzzer over load + plan + run (clang, ASan + UBSan, build-libfuzzer/) for 120 s; a crash,
# hang or memory overrun fails the run (the input is kept in build-libfuzzer/findings/).
if scripts/fuzz.sh 120; then
  total_pass=$((total_pass + 1))
else
  total_fail=$((total_fail + 1)); echo "error: scripts/fuzz.sh failed (a crash, or the build)"
fi
end

echo
echo "stage times:"
for s in "${STAGES[@]}"; do echo "  $s"; done
echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
