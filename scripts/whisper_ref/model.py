"""Whisper in PyTorch with Hugging Face's module tree and tensor names, and its Optimum ONNX export.

The module tree mirrors transformers' WhisperForConditionalGeneration (model.encoder.conv1,
model.encoder.layers.N.self_attn.k_proj, ..., proj_out tied to model.decoder.embed_tokens), so the
state dict names match a real checkpoint. Export wrappers reproduce Optimum's graph interfaces.
"""
import dataclasses
import math
import os

import numpy as np
import onnx
import onnx.numpy_helper
import torch
from torch import nn
import torch.nn.functional as F

OPSET = 17


@dataclasses.dataclass
class Dims:
    d_model: int = 64
    encoder_layers: int = 2
    decoder_layers: int = 2
    heads: int = 4
    num_mel_bins: int = 80
    max_source_positions: int = 150
    max_target_positions: int = 64
    vocab_size: int = 0

    @property
    def ffn(self):
        return 4 * self.d_model

    @property
    def head_dim(self):
        return self.d_model // self.heads


def gelu(x, sqrt2=None):
    """F.gelu, or with the constant sqrt(2) given (an fp16 graph holds it rounded to 1.4140625):
    then in the order of the exported graph, Div -> Erf -> Add 1 -> Mul x -> Mul 0.5."""
    if sqrt2 is None:
        return F.gelu(x)
    return x * (torch.erf(x / sqrt2) + 1.0) * 0.5


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's encoder position table [length, channels]: sin half then cos half."""
    inc = np.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1).float()


class WhisperAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.scaling = self.head_dim**-0.5
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def split(self, x):  # [b, t, d] -> [b, h, t, hd]
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)

    def kv(self, x):
        return self.split(self.k_proj(x)), self.split(self.v_proj(x))

    def attend(self, x, k, v, mask=None):
        q = self.split(self.q_proj(x) * self.scaling)
        w = q @ k.transpose(-1, -2)
        if mask is not None:
            w = w + mask
        o = F.softmax(w, dim=-1) @ v
        b, h, t, hd = o.shape
        return self.out_proj(o.transpose(1, 2).reshape(b, t, h * hd))


class WhisperEncoderLayer(nn.Module):
    def __init__(self, dims):
        super().__init__()
        d = dims.d_model
        self.self_attn = WhisperAttention(d, dims.heads)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, dims.ffn)
        self.fc2 = nn.Linear(dims.ffn, d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.gelu_sqrt2 = None  # see gelu()

    def forward(self, x):
        h = self.self_attn_layer_norm(x)
        k, v = self.self_attn.kv(h)
        x = x + self.self_attn.attend(h, k, v)
        return x + self.fc2(gelu(self.fc1(self.final_layer_norm(x)), self.gelu_sqrt2))


class WhisperEncoder(nn.Module):
    def __init__(self, dims):
        super().__init__()
        d = dims.d_model
        self.conv1 = nn.Conv1d(dims.num_mel_bins, d, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d, d, kernel_size=3, stride=2, padding=1)
        self.embed_positions = nn.Embedding(dims.max_source_positions, d)
        self.embed_positions.weight.data.copy_(sinusoids(dims.max_source_positions, d))
        self.embed_positions.requires_grad_(False)
        self.layers = nn.ModuleList([WhisperEncoderLayer(dims) for _ in range(dims.encoder_layers)])
        self.layer_norm = nn.LayerNorm(d)
        self.gelu_sqrt2 = None  # see gelu()

    def forward(self, input_features):
        x = gelu(self.conv1(input_features), self.gelu_sqrt2)
        x = gelu(self.conv2(x), self.gelu_sqrt2).permute(0, 2, 1)
        x = x + self.embed_positions.weight
        for layer in self.layers:
            x = layer(x)
        return self.layer_norm(x)


class WhisperDecoderLayer(nn.Module):
    def __init__(self, dims):
        super().__init__()
        d = dims.d_model
        self.self_attn = WhisperAttention(d, dims.heads)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = WhisperAttention(d, dims.heads)
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, dims.ffn)
        self.fc2 = nn.Linear(dims.ffn, d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.gelu_sqrt2 = None  # see gelu()

    def forward(self, x, mask, past_self, cross_kv):
        """past_self: (k, v) [b,h,past,hd] or None; cross_kv: (k, v). Returns x and new self k/v."""
        h = self.self_attn_layer_norm(x)
        k, v = self.self_attn.kv(h)
        if past_self is not None:
            k = torch.cat([past_self[0], k], dim=2)
            v = torch.cat([past_self[1], v], dim=2)
        x = x + self.self_attn.attend(h, k, v, mask)
        h = self.encoder_attn_layer_norm(x)
        x = x + self.encoder_attn.attend(h, cross_kv[0], cross_kv[1])
        x = x + self.fc2(gelu(self.fc1(self.final_layer_norm(x)), self.gelu_sqrt2))
        return x, (k, v)


class WhisperDecoder(nn.Module):
    def __init__(self, dims):
        super().__init__()
        d = dims.d_model
        self.embed_tokens = nn.Embedding(dims.vocab_size, d)
        self.embed_positions = nn.Embedding(dims.max_target_positions, d)
        self.layers = nn.ModuleList([WhisperDecoderLayer(dims) for _ in range(dims.decoder_layers)])
        self.layer_norm = nn.LayerNorm(d)

    def forward(self, input_ids, cross, past=None):
        """cross: per layer (k, v); past: per layer (k, v) or None. Returns hidden, new self k/v."""
        t = input_ids.shape[1]
        past_len = 0 if past is None else past[0][0].shape[2]
        pos = self.embed_positions.weight[past_len:past_len + t]
        x = self.embed_tokens(input_ids) + pos
        # causal: query i (absolute past_len + i) sees keys j <= past_len + i
        qi = torch.arange(t)[:, None] + past_len
        kj = torch.arange(past_len + t)[None, :]
        mask = torch.where(kj > qi, torch.tensor(torch.finfo(torch.float32).min), torch.tensor(0.0))
        presents = []
        for i, layer in enumerate(self.layers):
            x, kv = layer(x, mask, None if past is None else past[i], cross[i])
            presents.append(kv)
        return self.layer_norm(x), presents


class WhisperModel(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.encoder = WhisperEncoder(dims)
        self.decoder = WhisperDecoder(dims)


class WhisperForConditionalGeneration(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dims
        self.model = WhisperModel(dims)
        self.proj_out = nn.Linear(dims.d_model, dims.vocab_size, bias=False)
        self.proj_out.weight = self.model.decoder.embed_tokens.weight  # tied, as in HF
        for mod in self.modules():  # HF _init_weights: normal(0, init_std 0.02), zero biases
            if isinstance(mod, (nn.Linear, nn.Conv1d, nn.Embedding)) and mod.weight.requires_grad:
                mod.weight.data.normal_(0.0, 0.02)
                if getattr(mod, "bias", None) is not None:
                    mod.bias.data.zero_()

    def cross_kv(self, enc):
        return [l.encoder_attn.kv(enc) for l in self.model.decoder.layers]

    def logits(self, input_ids, enc):
        """Full-sequence logits [b, t, vocab] (no cache): the oracle's reference path."""
        h, _ = self.model.decoder(input_ids, self.cross_kv(enc))
        return self.proj_out(h)


# ----- Optimum export wrappers -----


class EncoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_features):
        return self.m.model.encoder(input_features)


class DecoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, encoder_hidden_states):
        cross = self.m.cross_kv(encoder_hidden_states)
        h, presents = self.m.model.decoder(input_ids, cross)
        out = [self.m.proj_out(h)]
        for (dk, dv), (ek, ev) in zip(presents, cross):
            out += [dk, dv, ek, ev]
        return tuple(out)


class DecoderWithPastExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, *pkv):
        n = len(self.m.model.decoder.layers)
        past = [(pkv[4 * i], pkv[4 * i + 1]) for i in range(n)]
        cross = [(pkv[4 * i + 2], pkv[4 * i + 3]) for i in range(n)]
        h, presents = self.m.model.decoder(input_ids, cross, past)
        out = [self.m.proj_out(h)]
        for dk, dv in presents:
            out += [dk, dv]
        return tuple(out)


def _kv_names(prefix, n, enc=True):
    names = []
    for i in range(n):
        names += [f"{prefix}.{i}.decoder.key", f"{prefix}.{i}.decoder.value"]
        if enc:
            names += [f"{prefix}.{i}.encoder.key", f"{prefix}.{i}.encoder.value"]
    return names


def _export(module, args, path, inputs, outputs, axes):
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)


def export_optimum(m, out_dir):
    """Writes encoder_model, decoder_model, decoder_with_past_model and decoder_model_merged."""
    dims = m.dims
    n = dims.decoder_layers
    m.eval()
    frames = 2 * dims.max_source_positions
    feats = torch.randn(1, dims.num_mel_bins, frames)
    _export(EncoderExport(m), (feats,), os.path.join(out_dir, "encoder_model.onnx"),
            ["input_features"], ["last_hidden_state"],
            {"input_features": {0: "batch_size", 1: "feature_size", 2: "encoder_sequence_length"},
             "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length / 2"}})
    with torch.no_grad():
        enc = m.model.encoder(feats)
    ids = torch.tensor([[1, 2, 3]])
    dec_axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
                "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length / 2"},
                "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    outs = ["logits"] + _kv_names("present", n)
    for name in outs[1:]:
        dec_axes[name] = {0: "batch_size", 2: "decoder_sequence_length" if ".decoder." in name
                          else "encoder_sequence_length_out"}
    dec_path = os.path.join(out_dir, "decoder_model.onnx")
    _export(DecoderExport(m), (ids, enc), dec_path, ["input_ids", "encoder_hidden_states"], outs,
            dec_axes)

    with torch.no_grad():
        pres = DecoderExport(m)(ids, enc)[1:]
    past_names = _kv_names("past_key_values", n)
    wp_outs = ["logits"] + _kv_names("present", n, enc=False)
    wp_axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
               "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for name in past_names:
        wp_axes[name] = {0: "batch_size", 2: "past_decoder_sequence_length" if ".decoder." in name
                         else "encoder_sequence_length_out"}
    for name in wp_outs[1:]:
        wp_axes[name] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
    wp_path = os.path.join(out_dir, "decoder_with_past_model.onnx")
    _export(DecoderWithPastExport(m), (ids[:, :1], *pres), wp_path, ["input_ids"] + past_names,
            wp_outs, wp_axes)
    merge_decoders(dec_path, wp_path, os.path.join(out_dir, "decoder_model_merged.onnx"))


# ----- merged decoder (Optimum's merge_decoders, written against the onnx API) -----


def _shape_dims(vi):
    return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]


def merge_decoders(dec_path, wp_path, out_path):
    """One If on use_cache_branch: then = with-past graph, else = no-past graph.

    As Optimum does: the with-past branch gains Constant outputs for present.N.encoder.* of shape
    [0, heads, 1, head_dim] (empty: the caller keeps the step-0 ones), large initializers move to
    the top level deduplicated by content, and the merged inputs are the union of both graphs'
    inputs (no-past first) followed by use_cache_branch bool[1].
    """
    import hashlib
    dec, wp = onnx.load(dec_path), onnx.load(wp_path)
    wp_out = {o.name for o in wp.graph.output}
    new_outputs = []
    for o in dec.graph.output:
        if o.name in wp_out:
            new_outputs.append(next(x for x in wp.graph.output if x.name == o.name))
            continue
        dims = [0] + [1 if isinstance(d, str) else d for d in _shape_dims(o)[1:]]
        value = onnx.helper.make_tensor("const_tensor", o.type.tensor_type.elem_type, dims, [])
        wp.graph.node.append(onnx.helper.make_node(
            "Constant", [], [o.name], name=f"Constant_{len(wp.graph.node) + 1}", value=value))
        new_outputs.append(o)
    # If branches must have identical output lists: use the no-past value infos for both
    del wp.graph.output[:]
    wp.graph.output.extend(
        [onnx.helper.make_tensor_value_info(o.name, o.type.tensor_type.elem_type, _shape_dims(o))
         for o in dec.graph.output])

    top, seen = [], {}
    for gi, model in enumerate((dec, wp)):
        keep, rename = [], {}
        for init in model.graph.initializer:
            small = len(init.dims) == 0 or (len(init.dims) == 1 and init.data_type in (
                onnx.TensorProto.INT32, onnx.TensorProto.INT64))
            if small:
                keep.append(init)
                continue
            arr = onnx.numpy_helper.to_array(init)
            key = (init.data_type, tuple(init.dims), hashlib.sha512(arr.tobytes()).hexdigest())
            if key not in seen:
                name = init.name if gi == 0 else f"{init.name}_merged_{len(seen)}"
                if any(t.name == name for t in top):
                    name = f"{init.name}_merged_{len(seen)}"
                t = onnx.TensorProto()
                t.CopyFrom(init)
                t.name = name
                top.append(t)
                seen[key] = name
            rename[init.name] = seen[key]
        for node in model.graph.node:
            for j, name in enumerate(node.input):
                if name in rename:
                    node.input[j] = rename[name]
        del model.graph.initializer[:]
        model.graph.initializer.extend(keep)

    def subgraph(model, name):
        return onnx.helper.make_graph(list(model.graph.node), name, [], list(model.graph.output),
                                      list(model.graph.initializer))

    inputs, names = [], set()
    for model in (dec, wp):
        for i in model.graph.input:
            if i.name not in names:
                names.add(i.name)
                inputs.append(i)
    use_cache = onnx.helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    if_node = onnx.helper.make_node("If", ["use_cache_branch"], [o.name for o in dec.graph.output],
                                    name="optimum::if", then_branch=subgraph(wp, "with_past"),
                                    else_branch=subgraph(dec, "no_past"))
    graph = onnx.helper.make_graph([if_node], "merged", inputs + [use_cache],
                                   list(dec.graph.output), top)
    merged = onnx.helper.make_model(graph, opset_imports=list(dec.opset_import),
                                    producer_name="wrun-whisper-oracle")
    merged.ir_version = dec.ir_version
    onnx.checker.check_model(merged)
    onnx.save(merged, out_path)


def positions_in_graph(path, max_timescale=10000):
    """Replaces the encoder's stored sinusoid table (embed_positions, not trained) with nodes that
    compute it: the same float32 products as sinusoids(), then Sin/Cos. Saves
    4 * n_ctx * d bytes of file (268,800 for whisper-nano), which keeps its encoder under 8 MB."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    m = onnx.load(path)
    g = m.graph
    t = next((x for x in g.initializer if x.name.endswith("encoder.embed_positions.weight")), None)
    if t is None:
        raise ValueError(f"{path}: no encoder.embed_positions.weight initializer")
    name = t.name
    n_ctx, d = t.dims
    table = sinusoids(n_ctx, d, max_timescale).numpy()
    if not np.array_equal(numpy_helper.to_array(t), table):
        raise ValueError(f"{path}: {name} is not the sinusoid table")
    inc = np.log(max_timescale) / (d // 2 - 1)
    inv = torch.exp(-inc * torch.arange(d // 2)).float().numpy()[None, :]
    g.initializer.remove(t)
    p = "embed_positions/"
    consts = {p + "start": np.array(0, np.float32), p + "limit": np.array(n_ctx, np.float32),
              p + "delta": np.array(1, np.float32), p + "axes": np.array([1], np.int64),
              p + "inv_timescales": inv}
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in consts.items())
    nodes = [
        helper.make_node("Range", [p + "start", p + "limit", p + "delta"], [p + "t"], p + "Range"),
        helper.make_node("Unsqueeze", [p + "t", p + "axes"], [p + "t2"], p + "Unsqueeze"),
        helper.make_node("Mul", [p + "t2", p + "inv_timescales"], [p + "scaled"], p + "Mul"),
        helper.make_node("Sin", [p + "scaled"], [p + "sin"], p + "Sin"),
        helper.make_node("Cos", [p + "scaled"], [p + "cos"], p + "Cos"),
        helper.make_node("Concat", [p + "sin", p + "cos"], [name], p + "Concat", axis=1),
    ]
    old = list(g.node)
    del g.node[:]
    g.node.extend(nodes + old)
    onnx.checker.check_model(m)
    # the computed table must equal the stored one to float32 rounding of sin/cos
    t_np = np.arange(n_ctx, dtype=np.float32)[:, None] * inv
    got = np.concatenate([np.sin(t_np), np.cos(t_np)], axis=1)
    assert np.abs(got - table).max() < 1e-6
    onnx.save(m, path)
