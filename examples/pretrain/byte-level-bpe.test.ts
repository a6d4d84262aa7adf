// The BPE trainer against the independent Python trainer in test/reference/tiny_bpe.py, and its tokenizer.json
// through @huggingface/tokenizers.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { Tokenizer } from "@huggingface/tokenizers";
import { ConfigError } from "../../sdk/errors";
import { bytesToUnicode, learnMerges, trainByteLevelBpe } from "./byte-level-bpe";

const PYTHON = process.env.TUNEBOOK_PYTHON ?? "/usr/bin/python3";

function pythonMerges(numMerges: number): { text: string; merges: [string, string][] } {
  const script = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(path.resolve("test/reference"))})`,
    "from tiny_bpe import TRAINING_TEXT, train_merges",
    `print(json.dumps({"text": TRAINING_TEXT, "merges": train_merges(TRAINING_TEXT, ${numMerges})}))`,
  ].join("\n");
  return JSON.parse(execFileSync(PYTHON, ["-c", script], { encoding: "utf8" }));
}

test("merges equal the Python reference trainer's, in order", () => {
  const ref = pythonMerges(300);
  const ours = learnMerges([ref.text], 300, 1);
  assert.equal(ours.length, ref.merges.length);
  assert.deepEqual(ours, ref.merges);
});

test("the byte table is GPT-2's: printable bytes map to themselves, the rest above 255", () => {
  const table = bytesToUnicode();
  assert.equal(new Set(table).size, 256);
  assert.equal(table[65], "A");
  assert.equal(table[32], "Ġ");
  assert.equal(table[10], "Ċ");
});

test("the tokenizer.json loads in @huggingface/tokenizers, round-trips text and applies the merges", () => {
  const texts = [
    "the whale and the sea; the whale, the ship. ",
    "The whale! Whales, ships — and 1851 ☃ sea.",
  ];
  const bpe = trainByteLevelBpe({ texts, vocabSize: 280, specialTokens: ["<|endoftext|>", "<|im_end|>"] });
  assert.equal(bpe.size, 256 + bpe.merges.length + 2);
  assert.deepEqual(bpe.specialIds, { "<|endoftext|>": 256 + bpe.merges.length, "<|im_end|>": bpe.size - 1 });
  const tok = new Tokenizer(bpe.tokenizerJson, {});
  const text = "The whale: 1851 ☃ ships<|im_end|>";
  const ids = tok.encode(text).ids;
  assert.equal(tok.decode(ids, { skip_special_tokens: false }), text);
  assert.equal(ids.at(-1), bpe.specialIds["<|im_end|>"]);
  // " whale" is frequent enough to be one learnt token.
  const vocab = (bpe.tokenizerJson.model as { vocab: Record<string, number> }).vocab;
  assert.deepEqual(tok.encode(" whale").ids, [vocab.Ġwhale]);
});

test("a vocabulary smaller than bytes + special tokens is a ConfigError", () => {
  assert.throws(
    () =>
      trainByteLevelBpe({ texts: ["a"], vocabSize: 260, specialTokens: ["<a>", "<b>", "<c>", "<d>", "<e>"] }),
    (e: unknown) => e instanceof ConfigError && /vocabSize/.test(e.message),
  );
});
