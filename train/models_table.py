#!/usr/bin/python3
"""Prints the README's table of bundled models from each models/*/eval.json (the figures CI
reproduces), so the table is never copied by hand; --svg FILE also draws their test error rates
(fp32 and int8) as a bar chart.

  /usr/bin/python3 train/models_table.py [--models DIR] [--svg docs/models.svg]
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load(root):
    out = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name, "eval.json")
        if os.path.isfile(path):
            with open(path) as f:
                out.append((name, json.load(f)))
    return out


def table(models):
    rows = ["| model | params | test WER | test CER | dev WER | dev CER | int8 test WER / CER "
            "| largest ONNX file | RTF fp32 / int8 (1 thread) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, e in models:
        t, d = e["test"], e["dev"]
        q = e.get("variants", {}).get("quantized", {}).get("test")
        int8 = f"{100 * q['wer']:.2f}% / {100 * q['cer']:.2f}%" if q else "-"
        rtf = f"{t['rtf']:.3f}" + (f" / {q['rtf']:.3f}" if q else "")
        big = max(e["onnx_bytes"].values())
        rows.append(f"| [{name}](models/{name}/README.md) | {e['parameters'] / 1e6:.2f} M "
                    f"| {100 * t['wer']:.2f}% | {100 * t['cer']:.2f}% | {100 * d['wer']:.2f}% "
                    f"| {100 * d['cer']:.2f}% | {int8} | {big:,} B | {rtf} |")
    return "\n".join(rows)


def svg(models):
    """Grouped bars per model: test WER and CER, fp32 and int8, in percent."""
    series = [("WER fp32", "wer", None, "#3b6ea8"), ("WER int8", "wer", "quantized", "#9cc0e6"),
              ("CER fp32", "cer", None, "#b5532f"), ("CER int8", "cer", "quantized", "#eeb195")]
    vals = []
    for _, e in models:
        row = []
        for _, key, var, _ in series:
            src = e["test"] if var is None else e.get("variants", {}).get(var, {}).get("test")
            row.append(100 * src[key] if src else None)
        vals.append(row)
    top = max([v for r in vals for v in r if v is not None] + [1.0])
    top = (int(top / 5) + 1) * 5
    bw, gap, left, h, base = 22, 40, 50, 240, 270
    width = left + len(models) * (len(series) * bw + gap) + 150
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="320" '
         'font-family="sans-serif" font-size="12">',
         f'<text x="{left}" y="16" font-size="14">Bundled models: test error rates '
         '(held-out voices, wrun eval)</text>']
    for tick in range(0, top + 1, 5):
        y = base - h * tick / top
        p.append(f'<line x1="{left}" x2="{width - 150}" y1="{y:.1f}" y2="{y:.1f}" '
                 'stroke="#ddd"/>')
        p.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}%</text>')
    for i, ((name, _), row) in enumerate(zip(models, vals)):
        x0 = left + gap / 2 + i * (len(series) * bw + gap)
        for j, v in enumerate(row):
            if v is None:
                continue
            bh = h * v / top
            x = x0 + j * bw
            p.append(f'<rect x="{x:.1f}" y="{base - bh:.1f}" width="{bw - 2}" height="{bh:.1f}" '
                     f'fill="{series[j][3]}"/>')
            p.append(f'<text x="{x + bw / 2 - 1:.1f}" y="{base - bh - 3:.1f}" font-size="9" '
                     f'text-anchor="middle">{v:.1f}</text>')
        p.append(f'<text x="{x0 + len(series) * bw / 2:.1f}" y="{base + 18}" '
                 f'text-anchor="middle">{name}</text>')
    for j, (label, _, _, color) in enumerate(series):
        y = 40 + 18 * j
        p.append(f'<rect x="{width - 140}" y="{y}" width="12" height="12" fill="{color}"/>')
        p.append(f'<text x="{width - 122}" y="{y + 10}">{label}</text>')
    p.append("</svg>")
    return "\n".join(p) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=os.path.join(HERE, "..", "models"))
    ap.add_argument("--svg", help="also write the bar chart here")
    a = ap.parse_args()
    models = load(a.models)
    print(table(models))
    if a.svg:
        with open(a.svg, "w") as f:
            f.write(svg(models))


if __name__ == "__main__":
    main()
