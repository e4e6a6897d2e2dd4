"""The fp16 and dynamically quantized forms of an export, and PyTorch references computing them.

fp16 (what `optimum-cli export onnx --dtype fp16` writes: same file names, another folder): every
float32 tensor of the graph (initializers, Constant and ConstantOfShape values) becomes float16,
clipped to the float16 range; every float32 type (inputs, outputs, value_info, subgraphs) becomes
float16; Cast(to=FLOAT) becomes Cast(to=FLOAT16). The reference is the model with its weights and
constants rounded to float16, computed in float32: the graph widened back to float32 computes
exactly that.

quantized (`*_quantized.onnx`, as onnxruntime's quantize_dynamic in QOperator form writes them):
each MatMul with a constant weight becomes DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_q,
A_zp, W_zp) -> Cast(FLOAT) -> Mul(., Mul(A_scale, W_scale)); each Conv becomes
DynamicQuantizeLinear(X) -> ConvInteger -> Cast -> Mul by the scales -> Add(Reshape(bias)).
An activation feeding several such nodes is quantized once. The reference computes the same
arithmetic: DynamicQuantizeLinear in float32 by the ONNX spec, integer products exactly (float64),
then the float32 scaling. Since every DynamicQuantizeLinear takes its range from the whole tensor
it sees, the result depends on how a decoder call is cut: the reference decodes as the runtime
does (prompt at once, then one token per call with the key/value cache).
"""
import copy
import dataclasses

import numpy as np
import onnx
import onnx.numpy_helper
import torch
from torch import nn

F16_MAX = 65504.0
FLOAT, FLOAT16 = onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16


def round_f16(a):
    """float32 -> float16, clipped to the finite float16 range (float32 min becomes -65504)."""
    return np.clip(np.asarray(a, dtype=np.float32), -F16_MAX, F16_MAX).astype(np.float16)


# ----- fp16 -----


def _tensor_to_f16(t):
    if t.data_type != FLOAT:
        return t
    a = onnx.numpy_helper.to_array(t)
    n = onnx.numpy_helper.from_array(round_f16(a), t.name)
    t.CopyFrom(n)
    return t


def _type_to_f16(tp):
    if tp.HasField("tensor_type") and tp.tensor_type.elem_type == FLOAT:
        tp.tensor_type.elem_type = FLOAT16


def _graph_to_f16(g):
    for t in g.initializer:
        _tensor_to_f16(t)
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        _type_to_f16(vi.type)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                _tensor_to_f16(a.t)
            elif a.type == onnx.AttributeProto.TENSORS:
                for t in a.tensors:
                    _tensor_to_f16(t)
            elif a.type == onnx.AttributeProto.GRAPH:
                _graph_to_f16(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for sg in a.graphs:
                    _graph_to_f16(sg)
            elif n.op_type == "Cast" and a.name == "to" and a.i == FLOAT:
                a.i = FLOAT16
            elif a.type == onnx.AttributeProto.FLOAT and n.op_type == "Constant":
                raise ValueError(f"{n.name}: Constant value_float has no float16 form")


def convert_fp16(src_path, dst_path):
    """Writes the float16 form of an ONNX file and checks it (types by strict shape inference)."""
    m = onnx.load(src_path)
    _graph_to_f16(m.graph)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, dst_path)
    return m


def fp16_reference(m):
    """The model with weights and graph constants rounded to float16, computed in float32."""
    r = copy.deepcopy(m)
    r.half().float()
    sqrt2 = float(np.float16(np.float32(np.sqrt(2.0))))
    for mod in r.modules():
        if hasattr(mod, "gelu_sqrt2"):
            mod.gelu_sqrt2 = sqrt2
        if hasattr(mod, "scaling"):
            mod.scaling = float(np.float16(np.float32(mod.scaling)))
    r.eval()
    return r


# ----- dynamic quantization -----


@dataclasses.dataclass(frozen=True)
class WeightScheme:
    """How constant weights are quantized (activations are always uint8, per tensor)."""
    dtype: type  # np.int8 (symmetric, zero point 0, range -127..127) or np.uint8 (asymmetric)
    per_column: bool  # MatMul: one scale and zero point per output column (Conv: per tensor)


ENCODER_SCHEME = WeightScheme(np.uint8, False)
DECODER_SCHEME = WeightScheme(np.int8, True)


def quantize_weight(w, scheme, axis):
    """w float32 -> (q, scale float32, zero_point), per tensor or per index along `axis`."""
    w = np.asarray(w, dtype=np.float32)
    if scheme.per_column:
        other = tuple(d for d in range(w.ndim) if d != axis)
        lo = np.minimum(w.min(axis=other), 0).astype(np.float32)
        hi = np.maximum(w.max(axis=other), 0).astype(np.float32)
    else:
        lo = np.float32(min(w.min(), 0))
        hi = np.float32(max(w.max(), 0))
    if scheme.dtype == np.int8:
        absmax = np.maximum(np.abs(lo), np.abs(hi)).astype(np.float32)
        scale = (np.where(absmax > 0, absmax, 1) / np.float32(127)).astype(np.float32)
        zp = np.zeros_like(scale, dtype=np.int8)
        qmin, qmax = -127, 127
    else:
        span = (hi - lo).astype(np.float32)
        scale = (np.where(span > 0, span, 1) / np.float32(255)).astype(np.float32)
        zp = np.clip(np.rint(-lo / scale), 0, 255).astype(np.uint8)
        qmin, qmax = 0, 255
    shape = [1] * w.ndim
    if scheme.per_column:
        shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)) + zp.reshape(shape).astype(np.float32),
                qmin, qmax).astype(scheme.dtype)
    return q, np.asarray(scale, np.float32), np.asarray(zp, scheme.dtype)


def dynamic_quantize(x):
    """ONNX DynamicQuantizeLinear in float32: (uint8 q, float32 scale, uint8 zero point)."""
    x = np.asarray(x, dtype=np.float32)
    hi = np.maximum(np.float32(0), x.max())
    lo = np.minimum(np.float32(0), x.min())
    scale = (np.float32(1) if hi == lo else np.float32(hi - lo)) / np.float32(255)
    zp = np.rint(np.clip(np.float32(0) - lo / scale, 0, 255)).astype(np.float32)
    q = np.clip(np.rint(x / scale) + zp, 0, 255)
    return q.astype(np.uint8), np.float32(scale), zp.astype(np.uint8)


# (rng, relative size) of noise added to every DynamicQuantizeLinear input, or None. The
# generator uses it to find how much one rounding flip moves the logits: two float32
# implementations of the layers before a DynamicQuantizeLinear differ in the last bits, so an
# x / scale within that distance of a .5 boundary rounds differently in each.
DQL_NOISE = None


def _quantize_input(x):
    x = np.asarray(x, dtype=np.float32)
    if DQL_NOISE is not None:
        rng, rel = DQL_NOISE
        x = (x * (1 + rel * rng.standard_normal(x.shape))).astype(np.float32)
    return dynamic_quantize(x)


class QuantLinear(nn.Module):
    """nn.Linear as DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ Add bias)."""

    def __init__(self, lin, scheme):
        super().__init__()
        w = lin.weight.detach().numpy().T  # the MatMul weight [in, out] of the export
        self.q, self.scale, self.zp = quantize_weight(w, scheme, axis=1)
        self.bias = None if lin.bias is None else lin.bias.detach().numpy().astype(np.float32)

    def forward(self, x):
        xq, xs, xzp = _quantize_input(x.detach().numpy())
        acc = (xq.astype(np.float64) - float(xzp)) @ (self.q.astype(np.float64) -
                                                       self.zp.astype(np.float64))
        y = acc.astype(np.int32).astype(np.float32) * (xs * self.scale)
        if self.bias is not None:
            y = y + self.bias
        return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))


class QuantConv1d(nn.Module):
    """nn.Conv1d as DynamicQuantizeLinear + ConvInteger + Cast + Mul + Add(bias)."""

    def __init__(self, conv, scheme):
        super().__init__()
        self.stride, self.padding = conv.stride, conv.padding
        self.q, self.scale, self.zp = quantize_weight(conv.weight.detach().numpy(),
                                                      WeightScheme(scheme.dtype, False), axis=0)
        self.bias = conv.bias.detach().numpy().astype(np.float32).reshape(1, -1, 1)

    def forward(self, x):
        xq, xs, xzp = _quantize_input(x.detach().numpy())
        xd = torch.from_numpy(xq.astype(np.float64) - float(xzp))  # padding adds 0 = zero point
        wd = torch.from_numpy(self.q.astype(np.float64) - float(self.zp))
        acc = torch.nn.functional.conv1d(xd, wd, stride=self.stride, padding=self.padding).numpy()
        y = acc.astype(np.int32).astype(np.float32) * (xs * self.scale) + self.bias
        return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))


def quantized_reference(m):
    """A copy of m whose Linear and Conv1d layers compute the quantized graph's arithmetic
    (encoder: ENCODER_SCHEME, decoder and proj_out: DECODER_SCHEME); embeddings stay float."""
    r = copy.deepcopy(m)

    def swap(parent, scheme):
        for name, child in parent.named_children():
            if isinstance(child, nn.Linear):
                setattr(parent, name, QuantLinear(child, scheme))
            elif isinstance(child, nn.Conv1d):
                setattr(parent, name, QuantConv1d(child, scheme))
            else:
                swap(child, scheme)

    swap(r.model.encoder, ENCODER_SCHEME)
    swap(r.model.decoder, DECODER_SCHEME)
    r.proj_out = QuantLinear(m.proj_out, DECODER_SCHEME)
    r.eval()
    return r


def quantize_dynamic(src_path, dst_path, scheme):
    """Rewrites an fp32 ONNX file as onnxruntime's dynamic quantization does (QOperator form)."""
    m = onnx.load(src_path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    new_inits, nodes, done = [], [], {}

    def float_init(name):
        t = inits.get(name)
        return t if t is not None and t.data_type == FLOAT else None

    def activation(name):
        if name not in done:
            q, s, z = name + "_quantized", name + "_scale", name + "_zero_point"
            nodes.append(onnx.helper.make_node("DynamicQuantizeLinear", [name], [q, s, z],
                                               name + "_QuantizeLinear"))
            done[name] = (q, s, z)
        return done[name]

    def weight(t, wscheme, axis):
        names = (t.name + "_quantized", t.name + "_scale", t.name + "_zero_point")
        if t.name not in done:
            q, s, z = quantize_weight(onnx.numpy_helper.to_array(t), wscheme, axis)
            for a, n in zip((q, s, z), names):
                new_inits.append(onnx.numpy_helper.from_array(np.asarray(a), n))
            done[t.name] = names
        return names

    def scaled(node, op, inputs, w_scale, a_scale, attrs):
        out = node.output[0]
        integer = out + "_output_quantized"
        nodes.append(onnx.helper.make_node(op, inputs, [integer], node.name + "_quant", **attrs))
        nodes.append(onnx.helper.make_node("Cast", [integer], [integer + "_cast_output"],
                                           integer + "_cast", to=FLOAT))
        scales = node.name + "_quant_scales_mul"
        nodes.append(onnx.helper.make_node("Mul", [a_scale, w_scale], [scales + ":0"], scales))
        return integer + "_cast_output", scales + ":0"

    for node in g.node:
        w = float_init(node.input[1]) if len(node.input) > 1 else None
        if node.op_type == "MatMul" and w is not None and len(w.dims) == 2:
            aq, as_, az = activation(node.input[0])
            wq, ws, wz = weight(w, scheme, axis=1)
            cast, scales = scaled(node, "MatMulInteger", [aq, wq, az, wz], ws, as_, {})
            nodes.append(onnx.helper.make_node("Mul", [cast, scales], [node.output[0]],
                                               node.name + "_quant_output_scale_mul"))
        elif node.op_type == "Conv" and w is not None:
            aq, as_, az = activation(node.input[0])
            wq, ws, wz = weight(w, WeightScheme(scheme.dtype, False), axis=0)
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            cast, scales = scaled(node, "ConvInteger", [aq, wq, az, wz], ws, as_, attrs)
            out = node.output[0]
            has_bias = len(node.input) > 2 and node.input[2]
            mul_out = out + "_scaled" if has_bias else out
            nodes.append(onnx.helper.make_node("Mul", [cast, scales], [mul_out],
                                               node.name + "_quant_output_scale_mul"))
            if has_bias:
                shape = np.ones(len(w.dims), dtype=np.int64)
                shape[1] = -1
                new_inits.append(onnx.numpy_helper.from_array(shape, out + "_bias_reshape_shape"))
                nodes.append(onnx.helper.make_node(
                    "Reshape", [node.input[2], out + "_bias_reshape_shape"],
                    [out + "_bias_reshape_output"], out + "_bias_reshape"))
                nodes.append(onnx.helper.make_node("Add", [mul_out, out + "_bias_reshape_output"],
                                                   [out], out + "_bias_add"))
        else:
            nodes.append(node)
    used = {i for n in nodes for i in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, dst_path)
    return m
