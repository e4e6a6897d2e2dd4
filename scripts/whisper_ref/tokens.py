"""A byte-level BPE vocabulary with Whisper's special-token layout, and its Hugging Face files."""
import collections
import json
import os

# Whisper's language order (openai/whisper tokenizer.LANGUAGES, the 99 of v1/v2).
WHISPER_LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th "
    "ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr "
    "pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt "
    "haw ln ha ba jw su").split()
assert len(WHISPER_LANGUAGES) == 99


def bytes_to_unicode():
    """GPT-2's byte -> printable character map; its key order is the id order of the 256 tokens."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) +
          list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}

WORDS = """the of and to in is that it was for on are as with his they at be this have from or
one had by word but not what all were we when your can said there use an each which she do how
their if will up other about out many then them these so some her would make like him into time
has look two more write go see number no way could people my than first water been call who oil
its now find long down day did get come made may part hello world audio speech model token sound
seven eight river stone light green house music quiet table window little number system""".split()


def learn_merges(n_merges, words=WORDS, counts=None):
    """Greedy BPE on pre-tokens; ties by pair text.

    Without counts: ' word' strings of `words` (space-prefixed, as GPT-2 pre-tokenizes) with
    made-up frequencies; with counts: a {pre-token: frequency} mapping from a real corpus.
    """
    corpus = collections.Counter()
    if counts is None:
        counts = collections.Counter()
        for i, w in enumerate(words):
            counts[" " + w] += 1 + (i % 3)
    for w, c in counts.items():
        corpus[tuple(BYTE_ENCODER[b] for b in w.encode())] += c
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for word, c in corpus.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        new = collections.Counter()
        for word, c in corpus.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new[tuple(out)] += c
        corpus = new
    return merges


class Vocab:
    """Token strings by id: bytes, merges, optional filler, then Whisper's specials."""

    def __init__(self, n_merges, multilingual, languages, window_s, n_text=None, merges=None):
        self.merges = learn_merges(n_merges) if merges is None else [tuple(m) for m in merges]
        text = [BYTE_ENCODER[b] for b in BYTE_ENCODER]  # dict order = GPT-2 id order
        for a, b in self.merges:
            if a + b not in text:
                text.append(a + b)
        # real multilingual vocabularies hold one more text token than the English (gpt2) one
        if n_text is None:
            n_text = len(text) + (1 if multilingual else 0)
        k = 0
        while len(text) < n_text:
            text.append("Ġ" + "".join(chr(ord("a") + int(c)) for c in f"{k:06d}") + "z")
            k += 1
        self.n_text = len(text)
        self.multilingual = multilingual
        self.languages = list(languages)
        specials = ["<|endoftext|>", "<|startoftranscript|>"]
        specials += [f"<|{l}|>" for l in self.languages]
        specials += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                     "<|nocaptions|>", "<|notimestamps|>"]
        self.n_timestamps = int(round(window_s / 0.02)) + 1
        specials += [f"<|{i * 0.02:.2f}|>" for i in range(self.n_timestamps)]
        self.tokens = text + specials
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.eot = self.ids["<|endoftext|>"]
        self.sot = self.ids["<|startoftranscript|>"]
        self.translate = self.ids["<|translate|>"]
        self.transcribe = self.ids["<|transcribe|>"]
        self.sot_lm = self.ids["<|startoflm|>"]
        self.sot_prev = self.ids["<|startofprev|>"]
        self.no_speech = self.ids["<|nocaptions|>"]
        self.no_timestamps = self.ids["<|notimestamps|>"]
        self.timestamp_begin = self.ids["<|0.00|>"]
        self.lang_ids = [self.ids[f"<|{l}|>"] for l in self.languages]
        self.space = self.ids["Ġ"]

    def __len__(self):
        return len(self.tokens)

    def encode_word(self, word):
        """BPE of one pre-token (merges applied by rank)."""
        parts = [BYTE_ENCODER[b] for b in word.encode()]
        rank = {m: i for i, m in enumerate(self.merges)}
        while len(parts) > 1:
            pairs = [(rank.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            r, i = min(pairs)
            if r == 1 << 30:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        return [self.ids[p] for p in parts]

    def decode(self, ids):
        """Text of the ids below eot (specials and timestamps dropped), UTF-8 with replacement."""
        data = bytes(BYTE_DECODER[c] for i in ids if i < self.eot for c in self.tokens[i])
        return data.decode("utf-8", errors="replace")

    def suppress_tokens(self):
        """Non-speech symbols, like Hugging Face's suppress_tokens: single-byte symbol tokens."""
        syms = '"#()*+/:;<=>@[\\]^_`{|}~'
        ids = [self.ids[BYTE_ENCODER[ord(c)]] for c in syms]
        ids += [self.ids[BYTE_ENCODER[b]] for b in (1, 2, 7, 8, 9, 10)]
        return sorted(set(ids))

    def write_files(self, out_dir):
        vocab = {t: i for i, t in enumerate(self.tokens[:self.n_text])}
        added = {t: i for i, t in enumerate(self.tokens) if i >= self.n_text}
        with open(os.path.join(out_dir, "vocab.json"), "w") as f:
            json.dump(vocab, f, ensure_ascii=False)
        with open(os.path.join(out_dir, "added_tokens.json"), "w") as f:
            json.dump(added, f, ensure_ascii=False, indent=1)
        with open(os.path.join(out_dir, "merges.txt"), "w") as f:
            f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))
        special = set(range(self.eot, self.timestamp_begin))
        tok = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": i, "content": self.tokens[i], "single_word": False,
                              "lstrip": False, "rstrip": False, "normalized": i not in special,
                              "special": i in special} for i in range(self.n_text, len(self))],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": "", "end_of_word_suffix": "",
                      "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }
        with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
            json.dump(tok, f, ensure_ascii=False)
        with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
            json.dump({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                       "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}, f, indent=1)
