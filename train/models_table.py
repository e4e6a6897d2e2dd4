#!/usr/bin/python3
"""Prints the README's table of bundled models from each models/*/eval.json (the figures CI
reproduces), so the table is never copied by hand.

  /usr/bin/python3 train/models_table.py [MODELS_DIR]
"""
import json
import os
import sys


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..",
                                                                 "models")
    print("| model | params | test WER | test CER | dev WER | dev CER | int8 test WER / CER "
          "| largest ONNX file | RTF fp32 / int8 (1 thread) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name, "eval.json")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            e = json.load(f)
        t, d = e["test"], e["dev"]
        q = e.get("variants", {}).get("quantized", {}).get("test")
        int8 = f"{100 * q['wer']:.2f}% / {100 * q['cer']:.2f}%" if q else "-"
        rtf = f"{t['rtf']:.3f}" + (f" / {q['rtf']:.3f}" if q else "")
        big = max(e["onnx_bytes"].values())
        print(f"| [{name}](models/{name}/README.md) | {e['parameters'] / 1e6:.2f} M "
              f"| {100 * t['wer']:.2f}% | {100 * t['cer']:.2f}% | {100 * d['wer']:.2f}% "
              f"| {100 * d['cer']:.2f}% | {int8} | {big:,} B | {rtf} |")


if __name__ == "__main__":
    main()
