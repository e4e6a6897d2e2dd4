#!/usr/bin/python3
"""Trains a CTC model of train/ctc_models.py on the synthetic speech of train/make_speech_data.py
and exports it as a wrun CTC model folder (model.onnx with wrun.* metadata).

  /usr/bin/python3 train/train_ctc.py --family conv1d|conformer --data DIR --work CKPT_DIR
                                      [--hours 2] [--export OUT]

Resumable: the checkpoint in CKPT_DIR is picked up by the next run with the same arguments.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import common as C
import ctc_models as CM

FEATURES = {"type": "log_mel", "sample_rate": 16000, "n_fft": 400, "hop": 160, "n_mels": 80,
            "normalization": "whisper"}


def features(logmel, waves, gain_db=None):
    """Batch log-mel padded to the longest row, and each row's frame count (as wrun computes:
    samples // hop frames, the -8 clamp per utterance)."""
    n = max(len(w) for w in waves)
    n = (n + C.A.HOP - 1) // C.A.HOP * C.A.HOP
    x = C.batch_audio(waves, n, gain_db)
    return logmel(x), torch.tensor([len(w) // C.A.HOP for w in waves])


def greedy_texts(log_probs, lengths):
    out = []
    best = log_probs.argmax(-1)
    for row, n in zip(best, lengths):
        prev, chars = 0, []
        for k in row[:n].tolist():
            if k != 0 and k != prev:
                chars.append(CM.VOCAB[k])
            prev = k
        out.append("".join(chars))
    return out


def forward(m, feats, frames, family, bf16):
    lengths = torch.tensor([CM.out_frames(int(f)) for f in frames])
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        lp = m(feats, lengths) if family == "conformer" else m(feats)
    return lp.float(), lengths


@torch.no_grad()
def evaluate(m, logmel, audio, texts, family, batch=32):
    m.eval()
    order = np.argsort([len(w) for w in audio])
    hyps = [None] * len(audio)
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        feats, frames = features(logmel, [audio[j] for j in idx])
        lp, lengths = forward(m, feats, frames, family, False)
        for j, h in zip(idx, greedy_texts(lp, lengths)):
            hyps[j] = h
    m.train()
    wer, cer = C.error_rates(hyps, texts)
    return wer, cer, hyps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", choices=sorted(CM.FAMILIES), required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--export", help="write the model folder here and stop")
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast (conformer blocks)")
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ff-hidden", type=int, default=512,
                    help="conformer feed-forward units (a checkpoint with more is pruned to this)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    CM.MM_CONV = a.bf16
    torch.manual_seed(a.seed)
    name = f"{a.family}_ctc"
    ckpt = C.Checkpoint(os.path.join(a.work, f"{name}.pt"))
    state = ckpt.load()
    m = make_model(a)
    opt = torch.optim.AdamW(m.parameters(), lr=a.lr, weight_decay=0.01, betas=(0.9, 0.98))
    step, used_s, best = 0, 0.0, None
    if state:
        if a.family == "conformer":
            names = [n for n, _ in m.named_parameters()]
            had = CM.prune_ff(state["model"], state["opt"], names, a.ff_hidden)
            if had != a.ff_hidden:
                print(f"pruned feed-forward layers from {had} to {a.ff_hidden} units at step "
                      f"{state['step']}", file=sys.stderr)
        m.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, used_s, best = state["step"], state["used_s"], state.get("best")
    n_params = sum(p.numel() for p in m.parameters())
    print(f"{name}: {n_params} parameters, step {step}, {used_s / 3600:.2f} h used",
          file=sys.stderr)
    if a.export:
        export(m, a, n_params)
        return

    logmel = C.LogMel(80)
    audio, texts = C.load_split(a.data, "train")
    targets = [CM.text_to_ids(t) for t in texts]
    order = np.argsort([len(w) for w in audio])  # batches of similar lengths pad little
    dev_audio, dev_texts = C.load_split(a.data, "dev")
    rng = np.random.default_rng([a.seed, step])
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    prog = C.Progress(os.path.join(a.work, f"{name}.log"), a.steps)
    m.train()
    t_start, t_last, loss_avg, skipped = time.time(), time.time(), None, 0
    while step < a.steps and used_s + (time.time() - t_start) < a.hours * 3600:
        s0 = int(rng.integers(0, len(order) - 4 * a.batch))
        idx = rng.choice(order[s0:s0 + 4 * a.batch], a.batch, replace=False)
        with torch.no_grad():
            feats, frames = features(logmel, [audio[i] for i in idx], rng.uniform(-6, 6, a.batch))
            feats = C.spec_augment(feats, rng, frames.tolist())
        lp, lengths = forward(m, feats, frames, a.family, a.bf16)
        tgt = [targets[i] for i in idx]
        loss = ctc(lp.transpose(0, 1), torch.tensor([k for t in tgt for k in t]), lengths,
                   torch.tensor([len(t) for t in tgt]))
        for g in opt.param_groups:
            g["lr"] = C.lr_at(step, a.steps, a.lr, 500, floor=0.02)
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        if not (torch.isfinite(loss) and torch.isfinite(norm)):
            skipped += 1  # a non-finite batch must not reach the weights
            if skipped > 50:
                sys.exit(f"{name}: more than 50 non-finite steps, stopping")
            continue
        opt.step()
        step += 1
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 50 == 0:
            dt = time.time() - t_last
            t_last = time.time()
            prog(step, loss=loss_avg, lr=opt.param_groups[0]["lr"], utt_per_s=50 * a.batch / dt,
                 hours=(used_s + time.time() - t_start) / 3600, skipped=skipped)
        last = step >= a.steps or used_s + (time.time() - t_start) >= a.hours * 3600
        if step % a.eval_every == 0 or last:
            wer, cer, hyps = evaluate(m, logmel, dev_audio[:200], dev_texts[:200], a.family)
            prog(step, dev_wer=wer, dev_cer=cer, example=hyps[0])
            st = {"model": m.state_dict(), "opt": opt.state_dict(), "step": step,
                  "used_s": used_s + time.time() - t_start, "args": vars(a), "best": best}
            if best is None or cer <= best["cer"]:
                st["best"] = best = {"wer": wer, "cer": cer, "step": step}
                torch.save({"model": m.state_dict(), "args": vars(a), "best": best},
                           os.path.join(a.work, f"{name}.best.pt"))
            ckpt.save(st)


def make_model(a):
    if a.family == "conformer":
        return CM.ConformerCtc(ff=a.ff_hidden)
    return CM.FAMILIES[a.family]()


def export(m, a, n_params):
    import onnx
    best_path = os.path.join(a.work, f"{a.family}_ctc.best.pt")
    if os.path.exists(best_path):
        best_state = torch.load(best_path)["model"]
        if a.family == "conformer":
            CM.prune_ff(best_state, None, [], a.ff_hidden)
        m.load_state_dict(best_state)
    m.eval()
    os.makedirs(a.export, exist_ok=True)
    path = os.path.join(a.export, "model.onnx")
    feats = torch.randn(1, 80, 300)
    with torch.no_grad():
        torch.onnx.export(m, (feats,), path, input_names=["features"],
                          output_names=["log_probs"], opset_version=17,
                          dynamic_axes={"features": {0: "batch", 2: "frames"},
                                        "log_probs": {0: "batch", 1: "out_frames"}},
                          do_constant_folding=True)
    model = onnx.load(path)
    for k, v in (("wrun.decoder", "ctc"), ("wrun.vocab", json.dumps(CM.VOCAB)),
                 ("wrun.features", json.dumps(FEATURES)), ("wrun.family", a.family),
                 ("wrun.parameters", str(n_params))):
        p = model.metadata_props.add()
        p.key, p.value = k, v
    model.producer_name = "wrun-train"
    onnx.checker.check_model(model)
    onnx.save(model, path)
    # An int8 variant as onnxruntime's dynamic quantization makes it (int8 weights, per output
    # channel for MatMul, per tensor for Conv), judged by its own error rates in the card.
    from whisper_ref import variants as V
    V.quantize_dynamic(path, os.path.join(a.export, "model_quantized.onnx"), V.DECODER_SCHEME)
    import samples

    def reference(audio):
        feats = torch.from_numpy(C.A.log_mel(audio, 80, 0).astype(np.float32))[None]
        with torch.no_grad():
            lp = m(feats)
        return {"text": greedy_texts(lp, [lp.shape[1]])[0]}

    samples.write_samples(a.export, a.data, reference)
    print(f"exported to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
