#!/usr/bin/env bash
# The main job until the bundled speech models land: installs dependencies, builds wrun, exports a
# small Whisper-like encoder and decoder step with PyTorch, then shows `wrun info` and runs the
# encoder with `wrun run`, comparing its output with PyTorch's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target wrun
/usr/bin/python3 scripts/make_test_models.py --out build/test-models >/dev/null
M=build/test-models
echo "--- wrun info (decoder step, symbolic shapes)"
build/wrun info $M/decoder_step.onnx
echo "--- wrun info (encoder, planned for 500 frames)"
build/wrun info $M/encoder.onnx --shape input_features=1,80,500
echo "--- wrun run (encoder on 200 frames)"
build/wrun run $M/encoder.onnx --input input_features=$M/encoder_in.npy --output-dir build/demo-out --verbose
/usr/bin/python3 - <<'PY'
import numpy as np
ref = np.load("build/test-models/encoder_out.npy"); got = np.load("build/demo-out/last_hidden_state.npy")
err = np.abs(ref - got).max() / np.abs(ref).max()
print(f"encoder output {got.shape}: max |wrun - pytorch| / max |pytorch| = {err:.2e}")
PY
echo "--- wrun transcribe (a random-weight Whisper-architecture test model: its words mean nothing)"
build/wrun transcribe tests/fixtures/whisper/en tests/fixtures/whisper/short_en.wav --format srt
build/wrun transcribe tests/fixtures/whisper/en tests/fixtures/whisper/long_en.wav --format json \
  | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print('text:', j['text']); print('timings:', j['timings'])"
