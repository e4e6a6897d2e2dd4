#!/usr/bin/python3
"""Trains whisper-nano (Whisper's architecture at small dimensions) on the synthetic speech of
train/make_speech_data.py and exports it in Hugging Face Optimum's layout.

  /usr/bin/python3 train/whisper_nano.py --data DIR --work CKPT_DIR [--hours 2] [--export OUT]

Resumable: the checkpoint in CKPT_DIR is picked up by the next run with the same arguments.
The vocabulary (a byte-level BPE learned from the training transcripts) is stored in the
checkpoint, so a resumed run and the export use the same one.
"""
import argparse
import collections
import json
import math
import os
import re
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import common as C
import ctc_models as CM
from whisper_ref import model as M  # noqa: E402  (path set by common)
from whisper_ref import tokens as T  # noqa: E402

PRETOKEN = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+")


def pretokens(text):
    return PRETOKEN.findall(" " + text)  # Whisper's transcripts start with a space


class Tokenizer:
    def __init__(self, vocab):
        self.v = vocab
        self.cache = {}

    def encode(self, text):
        ids = []
        for p in pretokens(text):
            if p not in self.cache:
                self.cache[p] = self.v.encode_word(p)
            ids += self.cache[p]
        return ids


def make_vocab(texts, n_merges, window_s, merges=None):
    if merges is None:
        counts = collections.Counter(p for t in texts for p in pretokens(t))
        merges = T.learn_merges(n_merges, counts=counts)
    return T.Vocab(n_merges, False, ["en"], window_s, merges=merges)


def make_targets(tok, text, span, timestamps, max_len):
    """Decoder input and target ids: [sot, (notimestamps | t0), text..., (t1), eot]."""
    v = tok.v
    text_ids = tok.encode(text)
    if timestamps:
        t0 = min(int(round(span[0] / 2)), 50)  # 10 ms frames -> 20 ms timestamp steps
        t1 = max(t0 + 1, min(int(round(span[1] / 2)), v.n_timestamps - 1))
        seq = [v.sot, v.timestamp_begin + t0] + text_ids + [v.timestamp_begin + t1, v.eot]
    else:
        seq = [v.sot, v.no_timestamps] + text_ids + [v.eot]
    seq = seq[:max_len + 1]
    inp, tgt = seq[:-1], seq[1:]
    if not timestamps:
        tgt[0] = -100  # <|notimestamps|> is given in the prompt, never predicted
    return inp, tgt


def encode(m, feats, bf16):
    """The encoder: its conv front end in float32 as matmuls (common.conv1d_mm explains why), the
    transformer layers, where the time goes, in bfloat16."""
    enc = m.model.encoder
    x = F.gelu(C.conv1d_mm(feats, enc.conv1))
    x = F.gelu(C.conv1d_mm(x, enc.conv2)).permute(0, 2, 1) + enc.embed_positions.weight
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for layer in enc.layers:
            x = layer(x)
        return enc.layer_norm(x)


def pad_batch(seqs, fill):
    n = max(len(s) for s in seqs)
    return torch.tensor([s + [fill] * (n - len(s)) for s in seqs])


@torch.no_grad()
def greedy(m, feats, v, max_tokens, timestamps=False):
    """Batched greedy decoding without rules beyond 'stop at eot' (a training-time dev check;
    wrun's decoder with Whisper's full rules gives the official figures)."""
    enc = m.model.encoder(feats)
    b = feats.shape[0]
    prefix = [v.sot] if timestamps else [v.sot, v.no_timestamps]
    ids = torch.tensor([prefix] * b)
    done = torch.zeros(b, dtype=torch.bool)
    for _ in range(max_tokens):
        logits = m.logits(ids, enc)[:, -1]
        if not timestamps:
            logits[:, v.timestamp_begin:] = -math.inf
        nxt = logits.argmax(-1)
        nxt[done] = v.eot
        ids = torch.cat([ids, nxt[:, None]], 1)
        done |= nxt == v.eot
        if done.all():
            break
    return [v.decode(row[len(prefix):].tolist()).strip() for row in ids]


def evaluate(m, logmel, audio, texts, v, n_samples, max_tokens, batch=32):
    m.eval()
    hyps = []
    for i in range(0, len(audio), batch):
        feats = logmel(C.batch_audio(audio[i:i + batch], n_samples))
        hyps += greedy(m, feats, v, max_tokens)
    m.train()
    wer, cer = C.error_rates(hyps, texts)
    return wer, cer, hyps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True, help="checkpoint and log folder")
    ap.add_argument("--export", help="write the Optimum model folder here and stop")
    ap.add_argument("--hours", type=float, default=2.0, help="training budget (all runs)")
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--window", type=float, default=7.0, help="seconds per encoder window")
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--encoder-layers", type=int, default=4)
    ap.add_argument("--decoder-layers", type=int, default=2)
    ap.add_argument("--merges", type=int, default=1000)
    ap.add_argument("--text-ctx", type=int, default=96)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--fp32", dest="bf16", action="store_false",
                    help="no bfloat16 autocast (4x slower on CPUs with AMX or AVX512-BF16)")
    ap.add_argument("--ctc-weight", type=float, default=0.3, help="auxiliary encoder CTC loss")
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    ckpt = C.Checkpoint(os.path.join(a.work, "whisper_nano.pt"))
    state = ckpt.load()

    train_audio, train_texts = C.load_split(a.data, "train")
    n_samples = int(a.window * C.SR)
    frames = n_samples // C.A.HOP
    v = make_vocab(train_texts, a.merges, a.window, merges=state and state["merges"])
    tok = Tokenizer(v)
    dims = M.Dims(d_model=a.d_model, encoder_layers=a.encoder_layers,
                  decoder_layers=a.decoder_layers, heads=a.heads, num_mel_bins=80,
                  max_source_positions=frames // 2, max_target_positions=a.text_ctx,
                  vocab_size=len(v))
    m = M.WhisperForConditionalGeneration(dims)
    # Training only: a character CTC head on the encoder output (joint CTC-attention training).
    # It makes the encoder align with the audio early; without it the decoder first learns a
    # language model and ignores the audio for thousands of steps. Not exported.
    ctc_head = torch.nn.Linear(a.d_model, len(CM.VOCAB))
    params = [p for p in m.parameters() if p.requires_grad] + list(ctc_head.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01, betas=(0.9, 0.98))
    step, used_s, best = 0, 0.0, None
    if state:
        m.load_state_dict(state["model"])
        ctc_head.load_state_dict(state["ctc_head"])
        opt.load_state_dict(state["opt"])
        step, used_s, best = state["step"], state["used_s"], state.get("best")
    logmel = C.LogMel(80)
    n_params = sum(p.numel() for p in m.parameters() if p.requires_grad)
    print(f"whisper-nano: {n_params} parameters, vocab {len(v)}, window {a.window} s, "
          f"step {step}, {used_s / 3600:.2f} h used", file=sys.stderr)

    if a.export:
        export(m, v, a, state)
        return

    keep = [i for i, w in enumerate(train_audio) if len(w) <= n_samples]
    spans = [C.speech_span(w) for w in train_audio]
    dev_audio, dev_texts = C.load_split(a.data, "dev")
    rng = np.random.default_rng([a.seed, step])
    prog = C.Progress(os.path.join(a.work, "whisper_nano.log"), a.steps)
    m.train()
    t_start, t_last, loss_avg = time.time(), time.time(), None
    skipped = 0
    ctc_loss = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    while step < a.steps and used_s + (time.time() - t_start) < a.hours * 3600:
        idx = rng.choice(keep, a.batch, replace=False)
        gain = rng.uniform(-6, 6, a.batch)
        with torch.no_grad():
            feats = logmel(C.batch_audio([train_audio[i] for i in idx], n_samples, gain))
            feats = C.spec_augment(feats, rng, [len(train_audio[i]) // C.A.HOP for i in idx])
        pairs = [make_targets(tok, train_texts[i], spans[i], rng.random() < 0.6, a.text_ctx)
                 for i in idx]
        inp = pad_batch([p[0] for p in pairs], v.eot)
        tgt = pad_batch([p[1] for p in pairs], -100)
        for g in opt.param_groups:
            g["lr"] = C.lr_at(step, a.steps, a.lr, 500, floor=0.05)
        enc = encode(m, feats, a.bf16)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            logits = m.logits(inp, enc)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                               ignore_index=-100)
        chars = [CM.text_to_ids(train_texts[i]) for i in idx]
        enc_len = torch.tensor([min(dims.max_source_positions,
                                    (len(train_audio[i]) // C.A.HOP + 1) // 2) for i in idx])
        ctc_lp = F.log_softmax(ctc_head(enc.float()), dim=-1).transpose(0, 1)
        loss = loss + a.ctc_weight * ctc_loss(
            ctc_lp, torch.tensor([k for c in chars for k in c]), enc_len,
            torch.tensor([len(c) for c in chars]))
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        if not (torch.isfinite(loss) and torch.isfinite(norm)):
            skipped += 1  # a non-finite batch must not reach the weights
            bad = [n for n, p in m.named_parameters()
                   if p.grad is not None and not torch.isfinite(p.grad).all()]
            print(f"skip: loss {loss.item():.4g}, non-finite grads in {len(bad)} tensors: "
                  f"{' '.join(bad[:4])}", file=sys.stderr, flush=True)
            if skipped > 50:
                sys.exit("whisper-nano: more than 50 non-finite steps, stopping")
            continue
        opt.step()
        step += 1
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 50 == 0:
            dt = time.time() - t_last
            t_last = time.time()
            prog(step, loss=loss_avg, lr=opt.param_groups[0]["lr"],
                 utt_per_s=50 * a.batch / dt, hours=(used_s + time.time() - t_start) / 3600,
                 skipped=skipped)
        last = step >= a.steps or used_s + (time.time() - t_start) >= a.hours * 3600
        if step % a.eval_every == 0 or last:
            wer, cer, hyps = evaluate(m, logmel, dev_audio[:200], dev_texts[:200], v, n_samples,
                                      a.text_ctx - 4)
            prog(step, dev_wer=wer, dev_cer=cer, example=hyps[0])
            st = {"model": m.state_dict(), "ctc_head": ctc_head.state_dict(),
                  "opt": opt.state_dict(), "step": step,
                  "used_s": used_s + time.time() - t_start, "merges": v.merges,
                  "args": vars(a), "best": best}
            if best is None or wer <= best["wer"]:
                st["best"] = best = {"wer": wer, "cer": cer, "step": step}
                torch.save({"model": m.state_dict(), "merges": v.merges, "args": vars(a),
                            "best": best}, os.path.join(a.work, "whisper_nano.best.pt"))
            ckpt.save(st)


def export(m, v, a, state):
    """The best checkpoint as an Optimum folder: config, generation config, tokenizer, ONNX."""
    best_path = os.path.join(a.work, "whisper_nano.best.pt")
    if os.path.exists(best_path):
        m.load_state_dict(torch.load(best_path)["model"])
    sys.path.insert(0, os.path.join(C.HERE, "..", "scripts"))
    import make_whisper_oracle as O
    out = a.export
    os.makedirs(out, exist_ok=True)
    m.eval()
    gen = O.generation_config(v, m.dims)
    gen["max_length"] = m.dims.max_target_positions
    O.write_model_dir(out, m, v, gen)
    cfg_path = os.path.join(out, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["_name_or_path"] = "wrun/whisper-nano"
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=1)
    from whisper_ref import model as WM
    WM.positions_in_graph(os.path.join(out, "encoder_model.onnx"))
    # An int8 variant as onnxruntime's dynamic quantization makes it (Optimum's *_quantized),
    # judged by its own WER in the card.
    from whisper_ref import variants as V
    q = {n: os.path.join(out, n + "_quantized.onnx") for n in O.ONNX_FILES}
    V.quantize_dynamic(os.path.join(out, "encoder_model.onnx"), q["encoder_model"],
                       V.ENCODER_SCHEME)
    for n in ("decoder_model", "decoder_with_past_model"):
        V.quantize_dynamic(os.path.join(out, n + ".onnx"), q[n], V.DECODER_SCHEME)
    WM.merge_decoders(q["decoder_model"], q["decoder_with_past_model"], q["decoder_model_merged"])
    # ship the merged decoders only: the split pairs would hold the decoder weights twice
    for n in ("decoder_model", "decoder_with_past_model"):
        os.remove(os.path.join(out, n + ".onnx"))
        os.remove(q[n])
    from whisper_ref import decode as D
    import samples

    n_frames = 2 * m.dims.max_source_positions
    n_samples = n_frames * C.A.HOP

    def reference(audio):
        mel = C.A.log_mel(audio, 80, n_samples).astype(np.float32)
        dec = D.Decoder(v, gen, m.dims.max_source_positions, m.dims.max_target_positions)
        res = D.transcribe(dec, O.step_fn_factory(m), mel, n_frames, D.Options(),
                           gen["max_initial_timestamp_index"])
        toks = [t for w in res["windows"] for t in w["tokens"]]
        return {"text": "".join(s["text"] for s in res["segments"]), "tokens": toks}

    samples.write_samples(out, a.data, reference)
    print(f"exported to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
