#!/usr/bin/env bash
# The main job: installs dependencies, builds wrun, speaks a sentence with espeak-ng (a voice
# held out of training) and transcribes it with the bundled models, printing text and timings.
# The bundled models were trained here on synthetic speech only (see models/*/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target wrun
SENTENCE=${1:-"My sister will visit the museum on Saturday."}
mkdir -p build/demo
espeak-ng -v en-us+m4 -s 150 -w build/demo/sentence_22k.wav "$SENTENCE"
sox -q build/demo/sentence_22k.wav -r 16000 -c 1 -b 16 build/demo/sentence.wav
echo "said (espeak-ng, voice en-us+m4): $SENTENCE"
for m in models/whisper-nano models/conv1d-ctc-nano models/conformer-ctc-nano; do
  [ -d "$m" ] || continue
  build/wrun transcribe "$m" build/demo/sentence.wav --format json >build/demo/out.json
  /usr/bin/python3 - "$(basename "$m")" build/demo/out.json <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
t = j["timings"]
print(f"{sys.argv[1]:>20}: {j['text'].strip()}")
if j["model"]["kind"] == "ctc":  # one model run, then greedy CTC (microseconds)
    run = f"model {t['encoder_ms']:.1f} ms + greedy CTC"
else:
    run = (f"encoder {t['encoder_ms']:.1f} ms, decoder {t['decoder_ms']:.1f} ms "
           f"({t['decoder_tokens']} tokens)")
print(f"{'':>20}  load {t['load_ms']:.0f} ms, mel {t['mel_ms']:.1f} ms, {run}, "
      f"audio {j['audio_seconds']:.2f} s")
PY
done
