// The committed demo model (assets/tiny-llama): it loads, its tokenizer round-trips text, its logits match the
// independent PyTorch reference, and it really learned English (held-out Moby Dick loss far below ln V).
// Dimension letters: B batch, T sequence, V vocabulary.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { HELD_OUT_CHAPTERS, mobyDick } from "../../examples/pretrain/corpus";
import { Backbone, type Logits } from "../../sdk/models";
import { torchReference } from "../reference";

const MODEL = path.resolve("assets/tiny-llama");
const config = JSON.parse(readFileSync(path.join(MODEL, "config.json"), "utf8"));
let backbone: Backbone;

before(async () => {
  backbone = await Backbone.load(MODEL);
});
after(async () => {
  await backbone?.dispose();
});

/** Mean next-token cross-entropy of `ids` under `logits` (every position but the last of each row). */
function meanLoss(logits: Logits, ids: readonly (readonly number[])[]): number {
  const [B, T, V] = logits.dims;
  let sum = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const row = logits.data.subarray((b * T + t) * V, (b * T + t + 1) * V);
      const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
      const logSumExp = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      sum += logSumExp - row[ids[b][t + 1]];
    }
  }
  return sum / (B * (T - 1));
}

/** Token rows from a held-out chapter (never seen in pretraining). */
function heldOutRows(B: number, T: number): number[][] {
  const tok = backbone.modelDir.tokenizer;
  assert.ok(tok);
  const text = mobyDick()[HELD_OUT_CHAPTERS[1]].text;
  const ids = tok.encode(text, { addSpecialTokens: false });
  assert.ok(ids.length >= B * T, "the held-out chapter is long enough");
  return Array.from({ length: B }, (_, b) => ids.slice(b * T, (b + 1) * T));
}

test("the committed folder is a small Hugging Face tied-embedding Llama", () => {
  assert.equal(config.model_type, "llama");
  assert.equal(config.tie_word_embeddings, true);
  assert.ok(config.num_key_value_heads < config.num_attention_heads, "grouped-query attention");
  const bytes = ["model.safetensors", "tokenizer.json"].reduce((n, f) => n + statSync(path.join(MODEL, f)).size, 0);
  assert.ok(bytes < 8 * 1024 * 1024, `the folder stays under 8 MB (${bytes} bytes)`);
  assert.equal(backbone.config.vocabSize, config.vocab_size);
  assert.equal(backbone.config.numKvHeads, config.num_key_value_heads);
});

test("the tokenizer round-trips text and keeps the ChatML tokens whole", () => {
  const tok = backbone.modelDir.tokenizer;
  assert.ok(tok);
  const text = "Call me Ishmael. Some years ago—never mind how long precisely—I thought I would sail; 1851 ☃.";
  const ids = tok.encode(text, { addSpecialTokens: false });
  assert.equal(tok.decode(ids), text);
  assert.ok(ids.length < Buffer.byteLength(text) / 2, "the learnt merges compress English");
  const chat = tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
  assert.equal(chat, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  const chatIds = tok.encode(chat, { addSpecialTokens: false });
  assert.equal(chatIds[0], tok.tokenToId("<|im_start|>"));
  assert.equal(chatIds.filter((i) => i === tok.tokenToId("<|im_end|>")).length, 1);
  assert.deepEqual(tok.eosTokenIds.includes(config.eos_token_id), true);
});

test("logits and held-out loss match the PyTorch reference, and the model learned English", async () => {
  const rows = heldOutRows(2, 96);
  const ours = await backbone.logits(rows);
  const ref = await torchReference({ model: MODEL, inputIds: rows, lossOnInputs: true });
  const V = config.vocab_size;
  let worst = 0;
  ref.logits.forEach((r, b) => {
    r.forEach((v, t) => {
      for (let k = 0; k < V; k++) worst = Math.max(worst, Math.abs(ours.data[(b * 96 + t) * V + k] - v[k]));
    });
  });
  assert.ok(worst < 2e-3, `max |logits − PyTorch| = ${worst}`);
  const loss = meanLoss(ours, rows);
  assert.ok(ref.loss !== undefined && Math.abs(loss - ref.loss) < 1e-3, `loss ${loss} vs PyTorch ${ref.loss}`);
  // Uniform guessing costs ln V ≈ 7.6 nats; the pretrained model must be far better (perplexity < V / 20).
  assert.ok(loss < Math.log(V) - 3, `held-out Moby Dick loss ${loss} vs ln V = ${Math.log(V)}`);
});
