"""The two CTC model families wrun ships, in PyTorch: conv1d-ctc-nano and conformer-ctc-nano.

Both read Whisper-style log-mel features [batch, 80, frames] (100 frames/s) and return
log-probabilities [batch, frames / 2, symbols] over VOCAB (the CTC blank first).
"""
import math
import string

import torch
from torch import nn
import torch.nn.functional as F

VOCAB = ["<blank>", " ", "'"] + list(string.ascii_lowercase)

# Training under bfloat16 autocast sets this: Conv1d layers then run as unfold + matmul
# (common.conv1d_mm explains why). Export and inference use nn.Conv1d (ONNX Conv).
MM_CONV = False


def conv(layer, x):
    if MM_CONV and layer.training:
        from common import conv1d_mm
        return conv1d_mm(x, layer)
    return layer(x)
SYMBOL = {c: i for i, c in enumerate(VOCAB)}


def text_to_ids(text):
    """Normalized text (lowercase, spaces, apostrophes) -> symbol ids; other characters dropped."""
    t = " ".join("".join(c if c in SYMBOL else " " for c in text.lower().replace("-", " ")).split())
    return [SYMBOL[c] for c in t]


def out_frames(frames):
    """Frames after the stride-2 front end (kernel 3, padding 1)."""
    return (frames + 1) // 2


class ConvCtc(nn.Module):
    """Wav2letter-style: a stride-2 kernel-3 Conv1D, then residual blocks of kernel-3 Conv1D +
    BatchNorm + ReLU (the shape INT8 Winograd F(2,3)/F(4,3) targets), then a 1x1 projection."""

    def __init__(self, n_mels=80, channels=224, layers=12, dropout=0.1, vocab=len(VOCAB)):
        super().__init__()
        self.front = nn.Sequential(nn.Conv1d(n_mels, channels, 3, stride=2, padding=1),
                                   nn.BatchNorm1d(channels), nn.ReLU())
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Conv1d(channels, channels, 3, padding=1), nn.BatchNorm1d(channels),
                          nn.ReLU(), nn.Dropout(dropout)) for _ in range(layers)])
        self.out = nn.Conv1d(channels, vocab, 1)

    @staticmethod
    def block(seq, x):
        x = conv(seq[0], x)
        for layer in seq[1:]:
            x = layer(x)
        return x

    def forward(self, features):
        x = self.block(self.front, features)
        for b in self.blocks:
            x = x + self.block(b, x)
        return F.log_softmax(conv(self.out, x).transpose(1, 2), dim=-1)


class FeedForward(nn.Module):
    def __init__(self, d, hidden, dropout=0.1):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, hidden), nn.SiLU(),
                                 nn.Dropout(dropout), nn.Linear(hidden, d), nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


class ConvModule(nn.Module):
    """Conformer convolution module: pointwise + GLU, depthwise, BatchNorm, SiLU, pointwise."""

    def __init__(self, d, kernel=15, dropout=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.pw1 = nn.Conv1d(d, 2 * d, 1)
        self.dw = nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d)
        self.bn = nn.BatchNorm1d(d)
        self.pw2 = nn.Conv1d(d, d, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):  # [b, t, d]
        # float32 even under bfloat16 autocast: this torch's bf16 conv1d backward turns
        # weight gradients non-finite now and then
        with torch.autocast("cpu", enabled=False):
            y = self.norm(x.float()).transpose(1, 2)
            y = F.glu(conv(self.pw1, y), dim=1)
            y = F.silu(self.bn(conv(self.dw, y)))
            return self.drop(conv(self.pw2, y).transpose(1, 2))


class SelfAttention(nn.Module):
    def __init__(self, d, heads, dropout=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask=None):  # mask: [b, 1, 1, t] additive
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm(x)).view(b, t, 3, self.heads, d // self.heads).permute(
            2, 0, 3, 1, 4)
        w = (q @ k.transpose(-1, -2)) * (d // self.heads) ** -0.5
        if mask is not None:
            w = w + mask
        o = (F.softmax(w, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        return self.drop(self.proj(o))


class ConformerBlock(nn.Module):
    def __init__(self, d, heads, kernel, ff, dropout=0.1):
        super().__init__()
        self.ff1 = FeedForward(d, ff, dropout=dropout)
        self.attn = SelfAttention(d, heads, dropout)
        self.conv = ConvModule(d, kernel, dropout)
        self.ff2 = FeedForward(d, ff, dropout=dropout)
        self.norm = nn.LayerNorm(d)

    def forward(self, x, mask=None):
        x = x + 0.5 * self.ff1(x)
        x = x + self.attn(x, mask)
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


def sinusoids(t, d):
    """Absolute positions computed in the graph (exported as Range/Sin/Cos: any length works)."""
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    inv = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    return torch.cat([torch.sin(pos * inv), torch.cos(pos * inv)], dim=1)


class ConformerCtc(nn.Module):
    """A small Conformer: depthwise-separable convolution subsampling (x2 in time), Conformer
    blocks (macaron feed-forwards, self-attention, convolution module), CTC projection."""

    # ff 512 rather than 4 * d = 576 keeps model.onnx under 8 MB
    def __init__(self, n_mels=80, d=144, heads=4, blocks=4, kernel=15, ff=512, dropout=0.1,
                 vocab=len(VOCAB)):
        super().__init__()
        self.d = d
        self.sub = nn.Sequential(
            nn.Conv1d(n_mels, d, 3, padding=1), nn.SiLU(),
            nn.Conv1d(d, d, 3, stride=2, padding=1, groups=d),  # depthwise, stride 2
            nn.Conv1d(d, d, 1), nn.SiLU())                      # pointwise
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([ConformerBlock(d, heads, kernel, ff, dropout)
                                     for _ in range(blocks)])
        self.out = nn.Linear(d, vocab)

    def forward(self, features, lengths=None):
        with torch.autocast("cpu", enabled=False):
            x = features.float()
            for layer in self.sub:
                x = conv(layer, x) if isinstance(layer, nn.Conv1d) else layer(x)
            x = x.transpose(1, 2)  # [b, t, d]
        t = x.shape[1]
        x = self.drop(x + sinusoids(t, self.d))
        mask = None
        if lengths is not None:  # training batches: padded frames are not attended to
            keep = torch.arange(t)[None, :] < lengths[:, None]
            mask = torch.where(keep, 0.0, -1e9)[:, None, None, :]
        for blk in self.blocks:
            x = blk(x, mask)
        return F.log_softmax(self.out(x), dim=-1)


FAMILIES = {"conv1d": ConvCtc, "conformer": ConformerCtc}


def prune_ff(state, opt_state, names, hidden):
    """Structured pruning of a Conformer checkpoint's feed-forward layers to `hidden` units: keeps
    the units with the largest |W_in row| * |W_out column|, slicing the weights and the AdamW
    moments alike. Returns the number of units each layer had (unchanged if <= hidden)."""
    had = None
    for k in list(state):
        if not k.endswith(".net.1.weight"):
            continue
        pre = k[: -len("1.weight")]
        w1, b1, w2 = state[pre + "1.weight"], state[pre + "1.bias"], state[pre + "4.weight"]
        had = w1.shape[0]
        if had <= hidden:
            continue
        score = w1.norm(dim=1) * w2.norm(dim=0)
        keep = torch.sort(torch.topk(score, hidden).indices).values
        for name, dim in ((pre + "1.weight", 0), (pre + "1.bias", 0), (pre + "4.weight", 1)):
            state[name] = state[name].index_select(dim, keep).contiguous()
            st = opt_state["state"].get(names.index(name)) if opt_state else None
            for moment in ("exp_avg", "exp_avg_sq") if st else ():
                st[moment] = st[moment].index_select(dim, keep).contiguous()
    return had
