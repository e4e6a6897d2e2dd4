#!/usr/bin/env bash
# Builds the libFuzzer target fuzz/fuzz_load_run.cc (clang, ASan + UBSan; its own CMake project in
# fuzz/, build folder build-libfuzzer/) and fuzzes load + plan + run for SECONDS (default 120).
# Seeds: the end-to-end test models, a few ONNX node-test models and fuzz/regressions/. The
# corpus grows in build-libfuzzer/corpus across runs; findings land in build-libfuzzer/findings/
# (copy each fixed one into fuzz/regressions/, which tests/bad_input_test.cc replays).
# Prints the executions and whether it crashed; exits 1 on a crash, timeout or memory overrun.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN_SECONDS=${1:-120}
BUILD=$ROOT/build-libfuzzer
JOBS=${JOBS:-$(nproc)}

CC=clang CXX=clang++ cmake -S fuzz -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target fuzz_load_run

SEEDS=$BUILD/seeds
mkdir -p "$SEEDS" "$BUILD/corpus" "$BUILD/findings"
if [ -d build/test-models ]; then
  cp -f build/test-models/*.onnx "$SEEDS/" 2>/dev/null || true
else
  echo "fuzz: build/test-models missing (scripts/make_test_models.py); seeding without them"
fi
NODE=/usr/share/libonnx-testdata/data/node
for t in relu add matmul_2d gemm_default_no_bias gather_0 gather_elements_0 if loop11 \
         constantofshape_int_zeros range_int32_type_negative_delta conv_with_strides_padding \
         reshape_negative_dim reshape_allowzero_reordered expand_dim_changed tile slice \
         slice_neg_steps transpose_default softmax_axis_0 layer_normalization_2d_axis0 \
         cast_FLOAT_to_DOUBLE concat_2d_axis_0 where_example resize_upsample_scales_linear \
         lstm_defaults gru_defaults einsum_batch_matmul nonzero_example cumsum_1d \
         onehot_with_axis scatter_elements_with_axis split_variable_parts_1d_opset18 \
         squeeze unsqueeze_axis_0 reduce_mean_default_axes_keepdims_example pow \
         matmulinteger dequantizelinear top_k averagepool_1d_default shape size flatten_axis0; do
  [ -f "$NODE/test_$t/model.onnx" ] && cp -f "$NODE/test_$t/model.onnx" "$SEEDS/node_$t.onnx"
done
[ -d fuzz/regressions ] && cp -f fuzz/regressions/* "$SEEDS/" 2>/dev/null || true

# Per input: 10 s, 2 GiB of RSS (one allocation above that is a finding too). The models' plans
# are capped at 16 MiB by the harness, so anything near these limits is a bug.
log=$BUILD/last_run.log
set +e
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$BUILD/fuzz_load_run" "$BUILD/corpus" "$SEEDS" -max_total_time="$RUN_SECONDS" -timeout=10 \
  -rss_limit_mb=2048 -max_len=1048576 -dict=fuzz/onnx.dict -print_final_stats=1 \
  -artifact_prefix="$BUILD/findings/" >"$log" 2>&1
rc=$?
set -e
execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -1)
execs=${execs:-$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')}
if [ "$rc" -eq 0 ]; then
  echo "fuzz: ${execs:-0} executions in ${RUN_SECONDS}s, no crash (corpus: $(ls "$BUILD/corpus" | wc -l) inputs)"
  exit 0
fi
grep -E 'ERROR|SUMMARY|runtime error|Test unit written|deadly|timeout|out-of-memory' "$log" | head -20
echo "fuzz: CRASH after ${execs:-?} executions (exit $rc); log: $log; inputs: $(ls "$BUILD/findings")"
exit 1
