/**
 * The plan's arithmetic: parameter counts by module against a published model's total, each component against
 * its formula with the coefficients of the table, and the direction of each setting's effect.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type DecoderConfig, normalizeConfig } from "../../models";
import { countParameters, loraParameterCount } from "./parameter-counts";
import { PLAN_COEFFICIENTS as K } from "./plan-coefficients";
import { planMemory, stepSeconds } from "./run-plan";

/** Qwen2.5-0.5B's config.json fields that matter (494,032,768 parameters, as its model card says). */
const QWEN_05B = normalizeConfig({
  model_type: "qwen2",
  vocab_size: 151936,
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
});

const TINY: DecoderConfig = normalizeConfig({
  model_type: "llama",
  vocab_size: 512,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  tie_word_embeddings: false,
});

test("parameter counts by module add up to Qwen2.5-0.5B's published total", () => {
  const p = countParameters(QWEN_05B);
  assert.equal(p.embedding, 151936 * 896);
  assert.equal(p.lmHead, 0, "tied");
  assert.equal(p.total, 494_032_768);
  assert.equal(p.matmul, p.linear + p.embedding, "the tied head's matmul reads the embedding");
  // q and v with r 8: r·(in + out) per module per layer.
  assert.equal(loraParameterCount(QWEN_05B, ["q_proj", "v_proj"], 8), 24 * 8 * (896 + 896 + 896 + 128));
  // DoRA adds a magnitude [out] per module: 896 for q_proj, 128 for v_proj.
  assert.equal(
    loraParameterCount(QWEN_05B, ["q_proj", "v_proj"], 8, true),
    24 * (8 * (896 + 896 + 896 + 128) + 896 + 128),
  );
  assert.equal(
    loraParameterCount(QWEN_05B, "all-linear", 8) > loraParameterCount(QWEN_05B, ["q_proj"], 8),
    true,
  );
});

test("each component is its formula with the table's coefficients, and the peak is their sum", () => {
  const B = 2;
  const T = 16;
  const plan = planMemory({ model: TINY, batchSize: B, maxLength: T, lora: { targets: "all-linear", r: 4 } });
  const p = countParameters(TINY);
  const byName = Object.fromEntries(plan.components.map((c) => [c.name, c.bytes]));
  const C = 64;
  const a = K.activations;
  const perToken = a.perC * C + a.perQkv * (4 + 2 * 2) * 16 + a.perI * 128 + a.perHT * 4 * T;
  assert.equal(byName["frozen weights (float32)"], 4 * (p.linear + p.lmHead) + 4 * (p.embedding + p.norms));
  assert.equal(byName["prepacked copy (onnxruntime)"], K.prepackBytes.float32 * p.matmul);
  assert.equal(byName["activations (2 layers × 32 tokens)"], 2 * B * T * 4 * perToken);
  assert.equal(byName["LM head and loss"], K.headTensors * B * T * 512 * 4);
  assert.equal(
    byName["LoRA and AdamW state"],
    loraParameterCount(TINY, "all-linear", 4) * 4 * K.trainableCopies,
  );
  assert.equal(byName.runtime, K.runtimeBytes);
  assert.equal(
    plan.peakBytes,
    Object.values(byName).reduce((x, y) => x + y, 0),
  );
  assert.ok(
    plan.components.every((c) => !c.provisional),
    "float32 LoRA is measured, not provisional",
  );
  // FLOPs: 2 per matmul weight per token and attention's 4·T·H·D per token per layer, doubled by the backward.
  const forward = 2 * B * T * p.matmul + 4 * B * T * T * 4 * 16 * 2;
  assert.equal(plan.stepFlops, forward * K.backwardFactor.lora);
  assert.equal(stepSeconds(plan, 1e11), plan.stepFlops / (1e11 * K.stepEfficiency));
});

test("each memory setting moves the peak the right way; provisional coefficients are marked", () => {
  const base = {
    model: QWEN_05B,
    batchSize: 4,
    maxLength: 512,
    lora: { targets: "all-linear" as const, r: 8 },
  };
  const fp32 = planMemory(base).peakBytes;
  const int8 = planMemory({ ...base, backboneDtype: "int8" });
  const int4 = planMemory({ ...base, backboneDtype: "int4" }).peakBytes;
  assert.ok(int8.peakBytes < fp32 && int4 < int8.peakBytes);
  assert.ok(!int8.components.some((c) => c.provisional), "int8 training coefficients are measured");
  const withGeneration = planMemory({ ...base, backboneDtype: "int8", generationDuringTraining: true });
  assert.ok(
    withGeneration.components.some((c) => c.provisional),
    "the int8 inference session is not measured",
  );
  const ckpt = planMemory({ ...base, gradientCheckpointing: true });
  assert.ok(
    ckpt.peakBytes < fp32 && ckpt.stepFlops > planMemory(base).stepFlops,
    "recomputation: less memory, more work",
  );
  assert.ok(planMemory({ ...base, chunkedLmHead: true }).peakBytes < fp32);
  assert.ok(planMemory({ ...base, batchSize: 2 }).peakBytes < fp32);
  const accumulated = planMemory({ ...base, gradAccumulation: 4 }).peakBytes;
  assert.ok(accumulated > fp32 && accumulated - fp32 < 2 ** 30, "an accumulated gradient is LoRA-sized");
  const full = planMemory({ ...base, lora: undefined });
  assert.ok(!full.components.some((c) => c.name.startsWith("prepacked")), "fed weights are not prepacked");
  assert.equal(full.trainableParameters, 494_032_768);
});
