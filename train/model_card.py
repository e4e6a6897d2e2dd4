#!/usr/bin/python3
"""Measures a trained model folder with `wrun eval` and writes its card.

  /usr/bin/python3 train/model_card.py --model models/NAME --data DATA --checkpoint CKPT.pt
      --title "..." --description "..." [--wrun build/wrun] [--threads 1]

Writes MODEL/eval.json (the figures `scripts/check_models.sh` must reproduce from a clean
checkout) and MODEL/README.md (the card: data recipe, training, size, dev/test WER and CER).
"""
import argparse
import json
import os
import platform
import subprocess

import torch


def wrun_eval(wrun, model, manifest, threads, variant=None):
    cmd = [wrun, "eval", model, manifest, "--json", "--threads", str(threads)]
    if variant:
        cmd += ["--variant", variant]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    keep = ("utterances", "wer", "cer", "rtf", "words", "word_errors", "chars", "char_errors",
            "audio_seconds", "processing_seconds", "threads")
    return {k: j[k] for k in keep}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--title", required=True)
    ap.add_argument("--description", required=True)
    ap.add_argument("--train-command", required=True)
    ap.add_argument("--training-note", default="", help="how the run went, if not one command")
    ap.add_argument("--wrun", default="build/wrun")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variants", default="", help="also evaluate these (comma separated)")
    a = ap.parse_args()

    state = torch.load(a.checkpoint)
    params = sum(t.numel() for k, t in state["model"].items()
                 if not k.endswith(("running_mean", "running_var", "num_batches_tracked",
                                    "embed_positions.weight")) or "decoder" in k)
    with open(os.path.join(a.data, "meta.json")) as f:
        data = json.load(f)
    files = sorted(p for p in os.listdir(a.model) if p.endswith(".onnx"))
    sizes = {p: os.path.getsize(os.path.join(a.model, p)) for p in files}
    figures = {
        "test": wrun_eval(a.wrun, a.model, os.path.join(a.data, "test.tsv"), a.threads),
        "dev": wrun_eval(a.wrun, a.model, os.path.join(a.data, "dev.tsv"), a.threads),
        "data": {"seed": data["seed"], "counts": data["counts"], "voices": data["voices"]},
        "training": {"steps": state["step"], "hours": round(state["used_s"] / 3600, 2),
                     "best_dev_during_training": state.get("best"), "args": state["args"]},
        "variants": {v: {"test": wrun_eval(a.wrun, a.model, os.path.join(a.data, "test.tsv"),
                                           a.threads, v)} for v in a.variants.split(",") if v},
        "parameters": params,
        "onnx_bytes": sizes,
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
    }
    with open(os.path.join(a.model, "eval.json"), "w") as f:
        json.dump(figures, f, indent=1)

    t, d, tr = figures["test"], figures["dev"], figures["training"]
    hours = {k: v["hours"] for k, v in data["splits"].items()}
    variant_lines = "".join(
        f"\n`--variant {v}` (onnxruntime-style dynamic int8 quantization of every MatMul and "
        f"Conv): test WER {100 * r['test']['wer']:.2f}%, CER {100 * r['test']['cer']:.2f}% "
        f"({r['test']['word_errors']} / {r['test']['words']} words), RTF "
        f"{r['test']['rtf']:.4f}.\n" for v, r in figures["variants"].items())
    size_lines = "\n".join(f"| `{p}` | {s / 2**20:.2f} MiB |" for p, s in sizes.items())
    card = f"""# {a.title}

{a.description}

**It knows only synthetic speech**: espeak-ng voices reading sentences from a closed vocabulary of
about a thousand common English words. It is wrun's offline demonstration and the yardstick for
quantization and kernel choices, not a general speech recognizer; for real speech, export a
real Whisper model (see the project README).

## Results (`wrun eval`, greedy, fp32)

| split | utterances | WER | CER | word errors / words | RTF ({t['threads']} thread) |
|---|---|---|---|---|---|
| test (held-out voices {', '.join(data['voices']['test'])}) | {t['utterances']} | {100 * t['wer']:.2f}% | {100 * t['cer']:.2f}% | {t['word_errors']} / {t['words']} | {t['rtf']:.4f} |
| dev (held-out voices {', '.join(data['voices']['dev'])}) | {d['utterances']} | {100 * d['wer']:.2f}% | {100 * d['cer']:.2f}% | {d['word_errors']} / {d['words']} | {d['rtf']:.4f} |

{variant_lines}
RTF measured on {figures['machine']} with wrun's reference kernels. The error figures are
reproduced exactly from a clean checkout by `scripts/check_models.sh` (CI), which regenerates the
test split and runs `wrun eval`.

## Data recipe

`train/make_speech_data.py` (seed {data['seed']}): sentences from `train/sentences.py` (a phrase
grammar over ~1,050 common words, numbers spelled out), spoken by espeak-ng (`en-us` and `en-gb`,
speed 130-200 wpm, pitch 30-70), then sox (16 kHz mono, level -12..-1 dB, tempo 0.92-1.08 for
half of them, reverb for 30%, 0.05-0.4 s of silence before, 0.1-0.4 s after) and Gaussian noise
at 20-40 dB SNR for 70% (seeded numpy). Splits share no sentence:

| split | utterances | hours | voice variants |
|---|---|---|---|
| train | {data['counts']['train']} | {hours.get('train', 0):.1f} | {', '.join(data['voices']['train'])} |
| dev | {data['counts']['dev']} | {hours.get('dev', 0):.2f} | {', '.join(data['voices']['dev'])} |
| test | {data['counts']['test']} | {hours.get('test', 0):.2f} | {', '.join(data['voices']['test'])} |

## Training

`{a.train_command}`: {tr['steps']} steps in {tr['hours']} h on {figures['machine']} (PyTorch
{torch.__version__} from Debian, resumable from its checkpoint); the checkpoint with the best dev
score is exported.{(' ' + a.training_note) if a.training_note else ''}

## Size

{params:,} parameters.

| file | size |
|---|---|
{size_lines}
"""
    with open(os.path.join(a.model, "README.md"), "w") as f:
        f.write(card)
    print(json.dumps({"test": t, "dev": d}, indent=1))


if __name__ == "__main__":
    main()
