"""A tiny byte-level BPE trainer that writes a Hugging Face `tokenizer.json` (GPT-2 / Qwen style).

The vocabulary is the 256 byte symbols (GPT-2's bytes-to-unicode mapping, ids 0-255 in byte order), then one
token per learnt merge, then the special tokens. Pre-tokenization follows the ByteLevel pre-tokenizer with
`use_regex: true` (GPT-2's split pattern); the trainer approximates its `\\p{L}`/`\\p{N}` classes with ASCII
classes, which is exact for the ASCII training text below.
"""

import re
from collections import Counter

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

TRAINING_TEXT = """
The little boat left the harbour early in the morning, when the water was still and grey. The fisherman
checked his nets, counted his ropes and looked at the sky. It would be a good day, he thought, if the wind
stayed in the west. His daughter sat at the front of the boat and sang an old song about the sea, the stars
and the long road home. They passed the lighthouse, then the rocks where the birds lived, and then there was
nothing but water in every direction. The sun came up slowly. The fisherman threw the first net and waited.
A model learns from the data it is given. If the data is noisy, the model will learn the noise as well as
the signal. Training a small language model means showing it many examples of text and asking it to predict
the next token. The loss tells us how surprised the model is. When the loss goes down, the model is learning;
when the validation loss goes up while the training loss goes down, the model is starting to memorise.
Questions and answers: What is the capital of France? The capital of France is Paris. How many days are in a
week? There are seven days in a week. Which planet is closest to the sun? Mercury is the closest planet to
the sun. What do plants need to grow? Plants need light, water, air and good soil to grow well.
In the evening the town was quiet. People walked along the river, talking about the weather and the news.
Children played in the park until the lights came on, and then their parents called them in for dinner.
The baker closed his shop, the teacher marked the last of the homework, and the doctor went home late again.
Numbers: one, two, three, four, five, six, seven, eight, nine, ten. In 2024 there were 366 days, and in 2023
there were 365. A dozen is 12, a score is 20, and a century is 100 years.
"""

_GPT2_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible map from the 256 byte values to printable unicode characters."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = {}
    extra = 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def train_merges(text, num_merges):
    """Learns up to `num_merges` BPE merges over `text`; ties broken by the lexicographically smallest pair."""
    byte_chars = bytes_to_unicode()
    words = Counter()
    for piece in _GPT2_SPLIT.findall(text):
        words[tuple(byte_chars[b] for b in piece.encode("utf-8"))] += 1
    merges = []
    while len(merges) < num_merges:
        pairs = Counter()
        for word, freq in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += freq
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = Counter()
        for word, freq in words.items():
            out = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += freq
        words = merged
    return merges


def _byte_level(add_prefix_space):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True, "use_regex": True}


def build_tokenizer_json(num_merges):
    """Returns (tokenizer.json dict, {special token: id}) with 256 + merges + specials entries."""
    byte_chars = bytes_to_unicode()
    vocab = {byte_chars[b]: b for b in range(256)}
    merges = train_merges(TRAINING_TEXT, num_merges)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    special_ids = {}
    added = []
    for token in SPECIAL_TOKENS:
        special_ids[token] = len(vocab) + len(special_ids)
        added.append(
            {
                "id": special_ids[token],
                "content": token,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
        )
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": _byte_level(False),
        "post_processor": _byte_level(False),
        "decoder": _byte_level(True),
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }
    return tokenizer, special_ids
