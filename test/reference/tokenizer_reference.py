#!/usr/bin/env python3
"""An independent tokenizer and chat-template reference for real Hugging Face tokenizer files.

    /usr/bin/python3 test/reference/tokenizer_reference.py <model dir> request.json > result.json

request: {"texts": [...], "chats": [{"messages": [...], "add_generation_prompt": bool}, ...]}
result:  {"with_special": [[ids]...], "without_special": [[ids]...], "renders": ["..."]}

Encoding is written out here from the tokenizer.json format (not the `tokenizers` library): added tokens are
split off first (leftmost-longest), then the normalizer (NFC, Replace, Sequence), the pre-tokenizer (Split with
a regex or a string, ByteLevel) and the BPE model (merges by rank, `ignore_merges`, `byte_fallback`,
`fuse_unk`), and the TemplateProcessing post-processor for special tokens. Chat templates are rendered with
Python's Jinja2 in a sandbox set up as transformers' `apply_chat_template` does (trim_blocks, lstrip_blocks,
loop controls, `raise_exception`, `tojson`, `strftime_now`).
"""

import json
import sys
import unicodedata
from datetime import datetime

import regex
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_TO_UNICODE = bytes_to_unicode()


def split_pattern(pattern):
    return regex.compile(pattern["Regex"]) if "Regex" in pattern else regex.compile(regex.escape(pattern["String"]))


class Reference:
    def __init__(self, directory):
        with open(f"{directory}/tokenizer.json", encoding="utf-8") as f:
            tj = json.load(f)
        with open(f"{directory}/tokenizer_config.json", encoding="utf-8") as f:
            self.config = json.load(f)
        model = tj["model"]
        assert model["type"] == "BPE", model["type"]
        self.vocab = model["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.ignore_merges = model.get("ignore_merges", False)
        self.byte_fallback = model.get("byte_fallback", False)
        self.unk = model.get("unk_token")
        self.fuse_unk = model.get("fuse_unk", False)
        self.added = {t["content"]: t["id"] for t in tj["added_tokens"]}
        self.added_lengths = sorted({len(t) for t in self.added}, reverse=True)
        self.normalizer = tj.get("normalizer")
        self.pre_tokenizer = tj.get("pre_tokenizer")
        self.post_processor = tj.get("post_processor")

    # --- encoding -------------------------------------------------------------------------------------------

    def split_added(self, text):
        """Pieces of text and added-token ids, matching added tokens leftmost-longest on the raw text."""
        out, start, i = [], 0, 0
        while i < len(text):
            hit = next((n for n in self.added_lengths if text[i : i + n] in self.added), None)
            if hit is None:
                i += 1
                continue
            if i > start:
                out.append(text[start:i])
            out.append(self.added[text[i : i + hit]])
            i += hit
            start = i
        if start < len(text):
            out.append(text[start:])
        return out

    def normalize(self, text, spec=None):
        spec = self.normalizer if spec is None else spec
        if spec is None:
            return text
        kind = spec["type"]
        if kind == "Sequence":
            for s in spec["normalizers"]:
                text = self.normalize(text, s)
            return text
        if kind in ("NFC", "NFD", "NFKC", "NFKD"):
            return unicodedata.normalize(kind, text)
        if kind == "Replace":
            return split_pattern(spec["pattern"]).sub(lambda _: spec["content"], text)
        raise ValueError(f"normalizer {kind} not implemented in the reference")

    def pre_tokenize(self, words, spec=None):
        spec = self.pre_tokenizer if spec is None else spec
        if spec is None:
            return words
        kind = spec["type"]
        if kind == "Sequence":
            for s in spec["pretokenizers"]:
                words = self.pre_tokenize(words, s)
            return words
        if kind == "ByteLevel":
            assert not spec.get("use_regex", False) and not spec.get("add_prefix_space", False)
            return ["".join(BYTE_TO_UNICODE[b] for b in w.encode("utf-8")) for w in words]
        if kind == "Split":
            assert not spec.get("invert", False)
            pattern, behavior = split_pattern(spec["pattern"]), spec["behavior"]
            out = []
            for w in words:
                pos = 0
                for m in pattern.finditer(w):
                    if behavior == "Isolated":
                        out += [p for p in (w[pos : m.start()], m.group()) if p]
                        pos = m.end()
                    elif behavior == "MergedWithPrevious":
                        out.append(w[pos : m.end()])
                        pos = m.end()
                    else:
                        raise ValueError(f"Split behavior {behavior} not implemented in the reference")
                if pos < len(w):
                    out.append(w[pos:])
            return [p for p in out if p]
        raise ValueError(f"pre-tokenizer {kind} not implemented in the reference")

    def bpe(self, word):
        if self.ignore_merges and word in self.vocab:
            return [self.vocab[word]]
        parts = []
        for ch in word:
            if ch in self.vocab:
                parts.append(ch)
            elif self.byte_fallback:
                parts += [f"<0x{b:02X}>" for b in ch.encode("utf-8")]
            else:
                parts.append(None)
        while True:
            best = None
            for i in range(len(parts) - 1):
                rank = self.ranks.get((parts[i], parts[i + 1]))
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, i)
            if best is None:
                break
            i = best[1]
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        ids = []
        for p in parts:
            if p is not None and p in self.vocab:
                ids.append(self.vocab[p])
            elif not (self.fuse_unk and ids and ids[-1] == self.vocab[self.unk]):
                ids.append(self.vocab[self.unk])
        return ids

    def special_ids(self, kind):
        post = self.post_processor
        steps = post["processors"] if post and post["type"] == "Sequence" else [post] if post else []
        for step in steps:
            if step["type"] == "TemplateProcessing":
                ids = []
                for item in step["single"]:
                    if "SpecialToken" in item:
                        ids += step["special_tokens"][item["SpecialToken"]["id"]]["ids"]
                    elif kind == "sequence":
                        return ids
                return [] if kind == "sequence" else ids
        return []

    def encode(self, text, add_special_tokens):
        ids = []
        for piece in self.split_added(text):
            if isinstance(piece, int):
                ids.append(piece)
                continue
            for word in self.pre_tokenize([self.normalize(piece)]):
                ids += self.bpe(word)
        return self.special_ids("sequence") + ids if add_special_tokens else ids

    # --- chat templates -------------------------------------------------------------------------------------

    def render(self, messages, add_generation_prompt):
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])

        def raise_exception(message):
            raise ValueError(message)

        def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        special = {}
        for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
            value = self.config.get(key)
            if isinstance(value, dict):
                value = value.get("content")
            if value is not None:
                special[key] = value
        template = env.from_string(self.config["chat_template"])
        return template.render(messages=messages, add_generation_prompt=add_generation_prompt, **special)


def main():
    ref = Reference(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        request = json.load(f)
    texts = request.get("texts", [])
    json.dump(
        {
            "with_special": [ref.encode(t, True) for t in texts],
            "without_special": [ref.encode(t, False) for t in texts],
            "renders": [ref.render(c["messages"], c["add_generation_prompt"]) for c in request.get("chats", [])],
            "encoded_renders": [ref.encode(ref.render(c["messages"], c["add_generation_prompt"]), False) for c in request.get("chats", [])],
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main()
