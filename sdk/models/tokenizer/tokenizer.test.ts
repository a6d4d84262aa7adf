import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ModelDirError } from "../errors";
import { runPython } from "../testing/run-python";
import { loadTokenizer } from "./load-tokenizer";
import { Tokenizer } from "./tokenizer";

// GPT-2's byte → printable-unicode map (as in the published byte-level BPE).

const PATTERN = " ?[A-Za-z]+| ?[0-9]+| ?[^\\sA-Za-z0-9]+|\\s+";
const MERGES = ["h e", "l l", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "he ll", "hell o", "Ġ t", "Ġt he"];

/** A small but real byte-level BPE tokenizer.json with BOS/EOS/PAD and a chat marker as added tokens. */
function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  for (const ch of bytesToUnicode()) vocab[ch] = Object.keys(vocab).length;
  for (const m of MERGES) vocab[m.replace(" ", "")] = Object.keys(vocab).length;
  const base = Object.keys(vocab).length;
  const added = ["<s>", "</s>", "<pad>", "<|im_end|>"].map((content, i) => ({
    id: base + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PATTERN }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "<s>", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { "<s>": { id: "<s>", ids: [base], tokens: ["<s>"] } },
    },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: MERGES,
    },
  };
}

// Reference: the byte-level BPE algorithm written out in Python (split on added tokens, regex pre-split,
// byte → unicode, repeatedly merge the lowest-ranked pair), reading the same tokenizer.json.
const PY_BPE = `
import json, re, sys
tj = json.load(open(sys.argv[1])); texts = json.load(sys.stdin)
vocab = tj["model"]["vocab"]; ranks = {tuple(m.split(" ")): i for i, m in enumerate(tj["model"]["merges"])}
added = {t["content"]: t["id"] for t in tj["added_tokens"]}
bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256)); cs = bs[:]; n = 0
for b in range(256):
  if b not in bs: bs.append(b); cs.append(256 + n); n += 1
b2u = {b: chr(c) for b, c in zip(bs, cs)}
def bpe(word):
  parts = list(word)
  while len(parts) > 1:
    pairs = [(ranks.get((a, b), 1e9), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
    r, i = min(pairs)
    if r == 1e9: break
    parts[i:i + 2] = [parts[i] + parts[i + 1]]
  return [vocab[p] for p in parts]
out = []
for text in texts:
  ids = [added["<s>"]]
  for piece in re.split("(" + "|".join(map(re.escape, added)) + ")", text):
    if piece in added: ids.append(added[piece]); continue
    for w in re.findall(${JSON.stringify(PATTERN)}, piece):
      ids += bpe("".join(b2u[b] for b in w.encode("utf-8")))
  out.append(ids)
print(json.dumps(out))
`;

import { bytesToUnicode } from "../../../test/support/byte-level";

const TEXTS = [
  "hello world",
  "Hello the world, hello!\n\n  tabs\tand 123 numbers",
  "ünïcödé ✓ 日本語 <|im_end|> hello</s>",
  "",
  "the<s>the",
];

test("byte-level BPE encode matches a Python reference, decode round-trips, special tokens behave", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-tok-"));
  const tokenizerJson = tinyTokenizerJson();
  writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson));
  const expected = JSON.parse(
    runPython(PY_BPE, [path.join(dir, "tokenizer.json")], JSON.stringify(TEXTS)),
  ) as number[][];
  const tok = Tokenizer.create({
    tokenizerJson,
    tokenizerConfig: {
      bos_token: { content: "<s>", special: true },
      eos_token: "</s>",
      pad_token: null,
      clean_up_tokenization_spaces: false,
      additional_special_tokens: [{ content: "<|im_end|>" }],
    },
  });
  const base = 256 + MERGES.length;
  assert.deepEqual(
    [tok.bosTokenId, tok.eosTokenId, tok.padTokenId],
    [base, base + 1, base + 1],
    "pad falls back to eos",
  );
  assert.equal(tok.vocabSize, base + 4);
  assert.deepEqual([...tok.specialTokenIds].sort(), [base, base + 1, base + 2, base + 3]);
  TEXTS.forEach((text, i) => {
    const ids = tok.encode(text);
    assert.deepEqual(ids, expected[i], JSON.stringify(text));
    assert.deepEqual(tok.encode(text, { addSpecialTokens: false }), expected[i].slice(1));
    assert.equal(tok.decode(ids.slice(1)), text, "round trip");
  });
  assert.deepEqual(
    tok.encode("hello world", { addSpecialTokens: false }),
    [base - 3, base - 5],
    "merged words",
  );
  assert.equal(
    tok.decode(tok.encode("hello</s> world<|im_end|>"), { skipSpecialTokens: true }),
    "hello world",
  );
  assert.equal(tok.decode([]), "");
  assert.equal(tok.tokenToId("<|im_end|>"), base + 3);
  assert.equal(tok.idToToken(base - 1), "Ġthe");
});

test("loadTokenizer reads config, chat_template.jinja and generation_config eos ids; explains a missing file", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-tokdir-"));
  await assert.rejects(loadTokenizer({ dir }), (e: unknown) => {
    assert.ok(e instanceof ModelDirError);
    assert.equal(e.file, "tokenizer.json");
    assert.match(e.message, /save_pretrained/);
    return true;
  });
  const json = tinyTokenizerJson();
  const base = 256 + MERGES.length;
  // tokenizer_config declares an extra special token through added_tokens_decoder only.
  writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(json));
  writeFileSync(
    path.join(dir, "tokenizer_config.json"),
    JSON.stringify({
      eos_token: "<|im_end|>",
      pad_token: "<pad>",
      chat_template: "ignored: chat_template.jinja wins",
      added_tokens_decoder: { [base + 4]: { content: "<|im_start|>", special: true } },
    }),
  );
  writeFileSync(
    path.join(dir, "chat_template.jinja"),
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}{{ eos_token }}\n{% endfor %}",
  );
  writeFileSync(
    path.join(dir, "generation_config.json"),
    JSON.stringify({ eos_token_id: [base + 3, base + 1] }),
  );
  const tok = await loadTokenizer({ dir });
  assert.deepEqual([tok.eosTokenId, tok.padTokenId, tok.bosTokenId], [base + 3, base + 2, undefined]);
  assert.deepEqual(tok.eosTokenIds, [base + 3, base + 1]);
  const prompt = tok.applyChatTemplate([{ role: "user", content: "hello" }]);
  assert.equal(prompt, "<|im_start|>user\nhello<|im_end|>\n");
  const ids = tok.encode(prompt, { addSpecialTokens: false });
  assert.equal(ids[0], base + 4, "added_tokens_decoder token is recognised as one token");
  assert.equal(tok.decode(ids), prompt);
});
