#!/usr/bin/python3
"""Builds the small Whisper-like ONNX models and reference .npy files for wrun's end-to-end tests.

Run with Debian's Python (torch, onnx, numpy): /usr/bin/python3 scripts/make_test_models.py --out DIR

Writes encoder.onnx, decoder_step.onnx, their reference inputs/outputs as .npy and manifest.json.
Weights are seeded, so reruns give the same files. References come from PyTorch in eval mode; the
exports are checked with onnx.checker and the op histogram of each model is printed.
"""
import argparse
import collections
import json
import math
import os
import sys
import time

import numpy as np
import onnx
import torch
from torch import nn

D_MODEL = 64
N_HEADS = 4
HEAD_DIM = D_MODEL // N_HEADS
N_MELS = 80
MLP_DIM = 256
VOCAB = 100
ENC_MAX_POS = 256  # encoder positions after the stride-2 conv: inputs up to 512 frames
DEC_MAX_POS = 512  # room for the runtime's decoder loop test (hundreds of steps)
LOOP_MAX_LEN = 320  # cache length the runtime's loop test binds
N_LAYERS = 2
OPSET = 17
DECODER_STEPS = 8


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's sinusoidal position table [length, channels]."""
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2, dtype=torch.float32))
    t = torch.arange(length, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class Attention(nn.Module):
    """Multi-head attention written with explicit matmuls and softmax, like Whisper's."""

    def __init__(self):
        super().__init__()
        self.query = nn.Linear(D_MODEL, D_MODEL)
        self.key = nn.Linear(D_MODEL, D_MODEL, bias=False)
        self.value = nn.Linear(D_MODEL, D_MODEL)
        self.out = nn.Linear(D_MODEL, D_MODEL)

    @staticmethod
    def split(x):  # [b, t, d] -> [b, h, t, hd]
        b, t, _ = x.shape
        return x.view(b, t, N_HEADS, HEAD_DIM).transpose(1, 2)

    def project_kv(self, x):
        return self.split(self.key(x)), self.split(self.value(x))

    def attend(self, x, k, v):
        b, t, _ = x.shape
        q = self.split(self.query(x)) * (HEAD_DIM ** -0.5)
        w = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        o = (w @ v).transpose(1, 2).reshape(b, t, D_MODEL)
        return self.out(o)


class EncoderBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_ln = nn.LayerNorm(D_MODEL)
        self.attn = Attention()
        self.mlp_ln = nn.LayerNorm(D_MODEL)
        self.mlp = nn.Sequential(nn.Linear(D_MODEL, MLP_DIM), nn.GELU(), nn.Linear(MLP_DIM, D_MODEL))

    def forward(self, x):
        h = self.attn_ln(x)
        k, v = self.attn.project_kv(h)
        x = x + self.attn.attend(h, k, v)
        return x + self.mlp(self.mlp_ln(x))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(N_MELS, D_MODEL, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(D_MODEL, D_MODEL, kernel_size=3, stride=2, padding=1)
        self.gelu = nn.GELU()
        self.register_buffer("positions", sinusoids(ENC_MAX_POS, D_MODEL))
        self.blocks = nn.ModuleList([EncoderBlock() for _ in range(N_LAYERS)])
        self.ln_post = nn.LayerNorm(D_MODEL)

    def forward(self, input_features):
        x = self.gelu(self.conv1(input_features))
        x = self.gelu(self.conv2(x))
        x = x.permute(0, 2, 1)
        x = x + self.positions[: x.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.ln_post(x)


class DecoderBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_ln = nn.LayerNorm(D_MODEL)
        self.attn = Attention()
        self.cross_ln = nn.LayerNorm(D_MODEL)
        self.cross = Attention()
        self.mlp_ln = nn.LayerNorm(D_MODEL)
        self.mlp = nn.Sequential(nn.Linear(D_MODEL, MLP_DIM), nn.GELU(), nn.Linear(MLP_DIM, D_MODEL))

    def forward(self, x, enc, past_k, past_v):
        h = self.attn_ln(x)
        k, v = self.attn.project_kv(h)
        # Concat(past, new) on axis 2 is the present output itself: the runtime appends in place.
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        x = x + self.attn.attend(h, k, v)  # one new token: no causal mask needed
        ck, cv = self.cross.project_kv(enc)
        x = x + self.cross.attend(self.cross_ln(x), ck, cv)
        x = x + self.mlp(self.mlp_ln(x))
        return x, k, v


class DecoderStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, D_MODEL)
        # Small enough that the tied logits stay O(1): a 1e-4 absolute tolerance is then
        # meaningful in float32 (N(0,1) rows give logits near 70, where one ulp is 8e-6).
        nn.init.normal_(self.token_embedding.weight, std=0.1)
        self.positional_embedding = nn.Parameter(torch.randn(DEC_MAX_POS, D_MODEL) * 0.02)
        self.blocks = nn.ModuleList([DecoderBlock() for _ in range(N_LAYERS)])
        self.ln = nn.LayerNorm(D_MODEL)

    def forward(self, input_ids, encoder_hidden_states, pk0, pv0, pk1, pv1):
        p = pk0.shape[2]  # traced: Shape/Gather in the export
        x = self.token_embedding(input_ids) + self.positional_embedding[p : p + 1]
        x, k0, v0 = self.blocks[0](x, encoder_hidden_states, pk0, pv0)
        x, k1, v1 = self.blocks[1](x, encoder_hidden_states, pk1, pv1)
        logits = self.ln(x) @ self.token_embedding.weight.t()  # tied, like Whisper
        return logits, k0, v0, k1, v1


DEC_INPUTS = ["input_ids", "encoder_hidden_states"] + [
    f"past_{kv}.{i}" for i in range(N_LAYERS) for kv in ("key", "value")
]
DEC_OUTPUTS = ["logits"] + [f"present_{kv}.{i}" for i in range(N_LAYERS) for kv in ("key", "value")]


def randomize_norms(model, gen):
    # LayerNorm defaults (ones/zeros) would hide scale/bias mix-ups in the runtime.
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))


def export(model, args, path, input_names, output_names, dynamic_axes, output_shapes):
    torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    # torch 1.13 names some static output dims as symbols ("MatMullogits_dim_1"): declare the
    # intended shapes (int: fixed, str: symbol) so the model's interface is exact.
    for out in m.graph.output:
        for dim, want in zip(out.type.tensor_type.shape.dim, output_shapes[out.name]):
            if isinstance(want, int):
                dim.dim_value = want
            else:
                dim.dim_param = want
    onnx.save(m, path)
    onnx.checker.check_model(m, full_check=True)
    return m


def histogram(name, m, path):
    ops = collections.Counter(n.op_type for n in m.graph.node)
    opsets = ", ".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in m.opset_import)
    print(f"{name}: {os.path.getsize(path)} bytes, {len(m.graph.node)} nodes, opsets {opsets}")
    for op, n in sorted(ops.items()):
        print(f"  {op:24s}{n}")


def check_present_is_concat(m):
    producer = {o: n for n in m.graph.node for o in n.output}
    for out in m.graph.output:
        if not out.name.startswith("present_"):
            continue
        n = producer.get(out.name)
        axis = next((a.i for a in n.attribute if a.name == "axis"), None) if n else None
        op = n.op_type if n else "graph input"
        print(f"  {out.name} <- {op} (axis {axis}) of {list(n.input) if n else []}")
        if op != "Concat" or axis != 2:
            sys.exit(f"{out.name} is not produced directly by Concat(axis=2)")


def run_onnx_numpy(m, feeds):
    """A tiny float64 NumPy interpreter for the ops these exports use: checks that the exported
    graph (not just the PyTorch module) computes the reference outputs."""
    from onnx import helper, numpy_helper

    env = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    env.update(feeds)
    erf = np.vectorize(math.erf)

    def conv1d(x, w, b, a):
        pad, stride = a.get("pads", [0, 0]), a.get("strides", [1])[0]
        assert a.get("group", 1) == 1 and a.get("dilations", [1]) == [1]
        x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[1])))
        k = w.shape[2]
        n_out = (x.shape[2] - k) // stride + 1
        cols = np.stack([x[:, :, i * stride : i * stride + k] for i in range(n_out)], axis=2)
        y = np.einsum("bctk,ock->bot", cols, w)
        return y + b[None, :, None] if b is not None else y

    def reshape(x, shape, a):
        shape = [x.shape[i] if v == 0 and not a.get("allowzero", 0) else v
                 for i, v in enumerate(shape)]
        return x.reshape(shape)

    def slice_(x, starts, ends, axes=None, steps=None):
        axes = range(len(starts)) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        idx = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            idx[ax] = slice(int(s), int(e), int(st))
        return x[tuple(idx)]

    def layer_norm(x, scale, bias, a):
        axes = tuple(range(a.get("axis", -1) % x.ndim, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
        return (x - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * scale + bias

    def softmax(x, a):
        e = np.exp(x - x.max(axis=a.get("axis", -1), keepdims=True))
        return e / e.sum(axis=a.get("axis", -1), keepdims=True)

    def div(x, y):
        if np.issubdtype(x.dtype, np.integer):
            return (np.sign(x) * np.sign(y) * (np.abs(x) // np.abs(y))).astype(x.dtype)
        return x / y

    impl = {
        "Add": lambda a, x, y: x + y,
        "Mul": lambda a, x, y: x * y,
        "Div": lambda a, x, y: div(x, y),
        "Erf": lambda a, x: erf(x),
        "MatMul": lambda a, x, y: x @ y,
        "Conv": lambda a, x, w, b=None: conv1d(x, w, b, a),
        "Concat": lambda a, *xs: np.concatenate(xs, axis=a["axis"]),
        "Constant": lambda a: a["value"],
        "Gather": lambda a, x, i: np.take(x, i, axis=a.get("axis", 0)),
        "Shape": lambda a, x: np.array(x.shape[a.get("start", 0) : a.get("end")], np.int64),
        "Unsqueeze": lambda a, x, axes: np.expand_dims(x, tuple(int(v) for v in axes)),
        "Reshape": lambda a, x, s: reshape(x, s, a),
        "Slice": lambda a, x, *r: slice_(x, *r),
        "Transpose": lambda a, x: x.transpose(a.get("perm")),
        "Softmax": lambda a, x: softmax(x, a),
        "LayerNormalization": lambda a, x, s, b: layer_norm(x, s, b, a),
    }
    for n in m.graph.node:
        attrs = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        if "value" in attrs:
            attrs["value"] = numpy_helper.to_array(attrs["value"])
        ins = [env[i] if i else None for i in n.input]
        out = impl[n.op_type](attrs, *ins)
        if np.issubdtype(np.asarray(out).dtype, np.floating):
            out = np.asarray(out, np.float64)
        env[n.output[0]] = np.asarray(out)
    return {o.name: env[o.name] for o in m.graph.output}


def verify(name, m, inputs, outputs, atol):
    feeds = {k: v.numpy().astype(np.float64) if v.is_floating_point() else v.numpy()
             for k, v in inputs.items()}
    got = run_onnx_numpy(m, feeds)
    worst = 0.0
    for k, want in outputs.items():
        g = got[k]
        if g.shape != tuple(want.shape):
            sys.exit(f"{name}: {k} has shape {g.shape} in the ONNX graph, {tuple(want.shape)} in torch")
        worst = max(worst, float(np.abs(g - want.numpy()).max()) if g.size else 0.0)
    print(f"  {name}: ONNX graph (numpy float64) vs torch: max abs diff {worst:.2e}")
    if worst > atol:
        sys.exit(f"{name}: exported graph disagrees with torch by {worst}")


def save(out_dir, name, t):
    np.save(os.path.join(out_dir, name), t.detach().numpy() if torch.is_tensor(t) else t)
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    manifest = {"atol": 1e-4, "models": {}}

    with torch.no_grad():
        enc = Encoder().eval()
        randomize_norms(enc, gen)
        dec = DecoderStep().eval()
        randomize_norms(dec, gen)

        # Encoder: exported with a different T than the reference case, so that a length baked
        # into the graph by tracing would show up as a mismatch in the runtime test.
        path = os.path.join(args.out, "encoder.onnx")
        m = export(enc, (torch.randn(1, N_MELS, 64),), path, ["input_features"],
                   ["last_hidden_state"],
                   {"input_features": {2: "frames"}, "last_hidden_state": {1: "frames_out"}},
                   {"last_hidden_state": [1, "frames_out", D_MODEL]})
        histogram("encoder.onnx", m, path)
        feats = torch.randn(1, N_MELS, 200, generator=gen)
        hidden = enc(feats)
        verify("encoder T=200", m, {"input_features": feats}, {"last_hidden_state": hidden},
               manifest["atol"])
        odd = torch.randn(1, N_MELS, 37, generator=gen)  # odd T: checks T/2 rounds up
        verify("encoder T=37", m, {"input_features": odd}, {"last_hidden_state": enc(odd)},
               manifest["atol"])
        manifest["models"]["encoder"] = {
            "model": "encoder.onnx",
            "cases": [{
                "name": "T200",
                "inputs": {"input_features": save(args.out, "encoder_in.npy", feats)},
                "outputs": {"last_hidden_state": save(args.out, "encoder_out.npy", hidden)},
            }],
        }

        # Decoder step, exported with a non-empty past (P=3) and a different S.
        path = os.path.join(args.out, "decoder_step.onnx")
        dummy = [torch.tensor([[1]]), torch.randn(1, 20, D_MODEL)] + [
            torch.randn(1, N_HEADS, 3, HEAD_DIM) for _ in range(2 * N_LAYERS)
        ]
        axes = {"encoder_hidden_states": {1: "enc_frames"}}
        axes.update({n: {2: "past"} for n in DEC_INPUTS[2:]})
        axes.update({n: {2: "past_plus_1"} for n in DEC_OUTPUTS[1:]})
        shapes = {n: [1, N_HEADS, "past_plus_1", HEAD_DIM] for n in DEC_OUTPUTS[1:]}
        shapes["logits"] = [1, 1, VOCAB]
        m = export(dec, tuple(dummy), path, DEC_INPUTS, DEC_OUTPUTS, axes, shapes)
        histogram("decoder_step.onnx", m, path)
        check_present_is_concat(m)

        tokens = torch.randint(0, VOCAB, (DECODER_STEPS,), generator=gen)
        past = [torch.zeros(1, N_HEADS, 0, HEAD_DIM) for _ in range(2 * N_LAYERS)]
        cases = []
        for step in range(DECODER_STEPS):
            inputs = [tokens[step].reshape(1, 1), hidden] + past
            outputs = dec(*inputs)
            verify(f"decoder step {step}", m, dict(zip(DEC_INPUTS, inputs)),
                   dict(zip(DEC_OUTPUTS, outputs)), manifest["atol"])
            if step in (0, DECODER_STEPS - 1):
                pre = f"decoder_step{step}_"
                cases.append({
                    "name": f"step{step}",
                    "inputs": {n: save(args.out, f"{pre}{n}.npy", t) for n, t in zip(DEC_INPUTS, inputs)},
                    "outputs": {n: save(args.out, f"{pre}{n}.npy", t)
                                for n, t in zip(DEC_OUTPUTS, outputs)},
                })
            past = list(outputs[1:])
        manifest["models"]["decoder_step"] = {"model": "decoder_step.onnx", "cases": cases}

        # The whole reference loop, for the runtime's in-place cache test: tokens and logits of
        # every step, with the encoder states they attend to.
        all_logits = []
        past = [torch.zeros(1, N_HEADS, 0, HEAD_DIM) for _ in range(2 * N_LAYERS)]
        for step in range(DECODER_STEPS):
            outputs = dec(tokens[step].reshape(1, 1), hidden, *past)
            all_logits.append(outputs[0])
            past = list(outputs[1:])
        manifest["decoder_loop"] = {
            "model": "decoder_step.onnx",
            "max_len": LOOP_MAX_LEN,
            "caches": {i: o for i, o in zip(DEC_INPUTS[2:], DEC_OUTPUTS[1:])},
            "encoder_hidden_states": save(args.out, "decoder_loop_encoder_hidden_states.npy", hidden),
            "tokens": save(args.out, "decoder_loop_tokens.npy", tokens.to(torch.int64)),
            "logits": save(args.out, "decoder_loop_logits.npy", torch.stack(all_logits)),
        }

    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"wrote {len(os.listdir(args.out))} files, {total} bytes, to {args.out} "
          f"in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
