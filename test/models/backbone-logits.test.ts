/**
 * Logits of every family (llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, gemma3, phi3, smollm3, olmo2)
 * on a fixed padded batch match the independent
 * PyTorch reference (test/reference) to ≤ 1e-4 max abs error in float32; also float16/bfloat16 shards.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Backbone } from "../../sdk/models";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { BATCH, maxAbsError } from "./compare";

const CASES: { label: string; options: TinyCheckpointOptions }[] = [
  { label: "llama", options: { arch: "llama" } },
  { label: "mistral (tied)", options: { arch: "mistral", tie: true } },
  { label: "qwen2 (biases)", options: { arch: "qwen2" } },
  { label: "qwen3 (q/k norm, head_dim)", options: { arch: "qwen3", kvHeads: 1 } },
  { label: "gemma", options: { arch: "gemma" } },
  { label: "gemma2 (window 4)", options: { arch: "gemma2", slidingWindow: 4 } },
  {
    label: "gemma3_text bf16 (window 4)",
    options: { arch: "gemma3_text", dtype: "bfloat16", layers: 3, slidingWindow: 4 },
  },
  { label: "gemma3 image-text, 2 shards", options: { arch: "gemma3", shards: 2, seed: 2 } },
  { label: "llama bf16, 2 shards", options: { arch: "llama", dtype: "bfloat16", shards: 2, seed: 3 } },
  { label: "qwen2 f16", options: { arch: "qwen2", dtype: "float16", seed: 4 } },
  {
    label: "phi3 (fused qkv/gate_up, Phi-3-mini, window 4)",
    options: { arch: "phi3", seed: 8, slidingWindow: 4 },
  },
  {
    label: "phi3 (Phi-4-mini: partial rotary 0.75, longrope, tied)",
    options: { arch: "phi3", seed: 9, partialRotary: 0.75, longrope: 32, tie: true },
  },
  { label: "smollm3 (NoPE layer 1, tied)", options: { arch: "smollm3", seed: 10, tie: true } },
  { label: "olmo2 (post-norms, q/k norm over the projection)", options: { arch: "olmo2", seed: 11 } },
];

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
});

test("logits match the PyTorch reference for every family", async () => {
  const dirs = await Promise.all(CASES.map((c) => makeTinyCheckpoint(c.options)));
  const refs = await torchReferences({
    runs: dirs.map((model) => ({ model, inputIds: BATCH.ids, attentionMask: BATCH.mask })),
  });
  for (const [i, c] of CASES.entries()) {
    const backbone = await Backbone.load(dirs[i], { tokenizer: false });
    backbones.push(backbone);
    const { dims, data } = await backbone.logits(BATCH.ids, BATCH.mask);
    assert.deepEqual(dims, [3, 6, backbone.config.vocabSize], c.label);
    const err = maxAbsError(data, refs[i].logits, BATCH.mask);
    assert.ok(err <= 1e-4, `${c.label}: max abs error ${err.toExponential(2)} > 1e-4`);
  }
});
