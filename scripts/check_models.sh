#!/usr/bin/env bash
# Reproduces the bundled models' card figures from a clean checkout: regenerates the synthetic
# test split (train/make_speech_data.py), runs `wrun eval` on every models/*/ folder and compares
# the error counts with the folder's eval.json exactly. Prints one line per model and a closing
# "models: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
WRUN=${WRUN:-build/wrun}
DATA=${DATA:-build/speech-data}
/usr/bin/python3 train/make_speech_data.py --out "$DATA" --splits test >/dev/null
shopt -s nullglob
pass=0; fail=0
for m in models/*/; do
  m=${m%/}
  [ -f "$m/eval.json" ] || { echo "FAIL $m: no eval.json"; fail=$((fail + 1)); continue; }
  variants=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(["-"] + sorted(json.load(open(sys.argv[1])).get("variants", {}))))' "$m/eval.json")
  for v in $variants; do
  start=$(date +%s)
  args=(); name=$m
  if [ "$v" != "-" ]; then args=(--variant "$v"); name="$m --variant $v"; fi
  if ! out=$("$WRUN" eval "$m" "$DATA/test.tsv" --json "${args[@]}" 2>/dev/null); then
    echo "FAIL $name: wrun eval failed"; fail=$((fail + 1)); continue
  fi
  if msg=$(/usr/bin/python3 - "$m/eval.json" "$out" "$v" <<'PY'
import json, sys
card = json.load(open(sys.argv[1]))
card = card["test"] if sys.argv[3] == "-" else card["variants"][sys.argv[3]]["test"]
got = json.loads(sys.argv[2])
keys = ("utterances", "words", "word_errors", "chars", "char_errors")
bad = [f"{k} {got[k]} != card {card[k]}" for k in keys if got[k] != card[k]]
print(f"WER {100 * got['wer']:.2f}% CER {100 * got['cer']:.2f}% RTF {got['rtf']:.4f}"
      + ("; " + "; ".join(bad) if bad else ""))
sys.exit(1 if bad else 0)
PY
  ); then
    echo "ok   $name: $msg ($(( $(date +%s) - start )) s)"; pass=$((pass + 1))
  else
    echo "FAIL $name: $msg"; fail=$((fail + 1))
  fi
  done
done
echo "models: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
