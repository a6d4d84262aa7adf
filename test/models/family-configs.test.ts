/**
 * Checkpoints by name and config semantics of the newer families: tiny checkpoints carrying the published
 * `config.json` fields of DeepSeek-R1-Distill (qwen2, llama) and H2O Danube 2/3 (mistral, llama) give the PyTorch
 * reference's logits; mixture-of-experts `model_type`s are refused naming the dense alternatives; SmolLM3's
 * `no_rope_layers` / `no_rope_layer_interval` select the NoPE layers as SmolLM3Config does (and matter); Phi-3's
 * old `"su"` rope type, default `original_max_position_embeddings` and `sliding_window` (every layer) are read
 * as Phi3Config/Phi3Model read them, and LongRoPE's long factors match PyTorch past the switch. B batch, T sequence.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Backbone } from "../../sdk/models";
import { normalizeConfig, UnknownModelTypeError } from "../../sdk/models/arch";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { BATCH, maxAbsError } from "./compare";

const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-family-configs-"));
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** A tiny checkpoint copied to a fresh folder with config.json fields set (null deletes a field). */
async function withFields(options: TinyCheckpointOptions, fields: Record<string, unknown>): Promise<string> {
  const source = await makeTinyCheckpoint(options);
  const dir = mkdtempSync(path.join(tmp, `${options.arch}-`));
  cpSync(source, dir, { recursive: true });
  const file = path.join(dir, "config.json");
  const config = { ...JSON.parse(readFileSync(file, "utf8")), ...fields };
  for (const [k, v] of Object.entries(fields)) if (v === null) delete config[k];
  writeFileSync(file, JSON.stringify(config, null, 2));
  return dir;
}

/** Each checkpoint's published config.json fields other than its sizes and token ids. */
const NAMED: { label: string; options: TinyCheckpointOptions; fields: Record<string, unknown> }[] = [
  {
    label: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B (qwen2)",
    options: { arch: "qwen2", seed: 50 },
    fields: {
      architectures: ["Qwen2ForCausalLM"],
      max_position_embeddings: 131072,
      max_window_layers: 21,
      rope_theta: 10000,
      sliding_window: 4096,
      use_sliding_window: false,
      use_mrope: false,
      tie_word_embeddings: false,
      rms_norm_eps: 1e-6,
    },
  },
  {
    label: "deepseek-ai/DeepSeek-R1-Distill-Llama-8B (llama, llama3 RoPE)",
    options: { arch: "llama", seed: 51 },
    fields: {
      architectures: ["LlamaForCausalLM"],
      max_position_embeddings: 131072,
      rope_theta: 500000,
      rope_scaling: {
        factor: 8,
        high_freq_factor: 4,
        low_freq_factor: 1,
        original_max_position_embeddings: 8192,
        rope_type: "llama3",
      },
      attention_bias: false,
      mlp_bias: false,
      pretraining_tp: 1,
      tie_word_embeddings: false,
    },
  },
  {
    label: "h2oai/h2o-danube3-500m-base (llama)",
    options: { arch: "llama", seed: 52 },
    fields: {
      architectures: ["LlamaForCausalLM"],
      max_position_embeddings: 8192,
      rope_theta: 100000,
      rope_scaling: null,
      attention_bias: false,
      mlp_bias: false,
      pretraining_tp: 1,
      tie_word_embeddings: false,
    },
  },
  {
    label: "h2oai/h2o-danube2-1.8b-base (mistral, no sliding window)",
    options: { arch: "mistral", seed: 53 },
    fields: {
      architectures: ["MistralForCausalLM"],
      max_position_embeddings: 8192,
      rope_theta: 10000,
      sliding_window: null,
      tie_word_embeddings: false,
    },
  },
];

test("DeepSeek-R1-Distill and H2O Danube 2/3 configs load and match the PyTorch reference", async () => {
  const dirs = await Promise.all(NAMED.map((c) => withFields(c.options, c.fields)));
  const refs = await torchReferences({
    runs: dirs.map((model) => ({ model, inputIds: BATCH.ids, attentionMask: BATCH.mask })),
  });
  const report: string[] = [];
  for (const [i, c] of NAMED.entries()) {
    const backbone = await Backbone.load(dirs[i], { tokenizer: false });
    backbones.push(backbone);
    const err = maxAbsError((await backbone.logits(BATCH.ids, BATCH.mask)).data, refs[i].logits, BATCH.mask);
    report.push(`${c.label.split(" ")[0]} ${err.toExponential(2)}`);
    assert.ok(err <= 1e-4, `${c.label}: max abs error ${err.toExponential(2)}`);
  }
  console.log(`# named checkpoints, max abs logit error: ${report.join("; ")}`);
});

test("mixture-of-experts model_types are refused, saying so and naming the dense alternatives", async () => {
  const cases: [string, RegExp][] = [
    ["deepseek_v2", /qwen2 \(deepseek-ai\/DeepSeek-R1-Distill-Qwen-1\.5B.*llama/],
    ["deepseek_v3", /DeepSeek-R1-Distill-Llama-8B/],
    ["qwen3_moe", /dense model instead: qwen3/],
    ["qwen2_moe", /dense model instead: qwen2/],
    ["mixtral", /dense model instead: mistral/],
    ["phimoe", /dense model instead: phi3/],
    ["olmoe", /dense model instead: olmo2/],
  ];
  const dir = await withFields({ arch: "llama" }, {});
  for (const [modelType, alternatives] of cases) {
    writeFileSync(
      path.join(dir, "config.json"),
      JSON.stringify({
        ...JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8")),
        model_type: modelType,
      }),
    );
    await assert.rejects(Backbone.load(dir, { tokenizer: false }), (e: unknown) => {
      assert.ok(e instanceof UnknownModelTypeError, modelType);
      assert.match(e.message, new RegExp(`"${modelType}" is a mixture-of-experts architecture`));
      assert.match(e.message, /mixture-of-experts models are not supported/);
      assert.match(e.message, alternatives);
      assert.match(
        e.message,
        /supported: gemma, gemma2, gemma3, gemma3_text, llama, mistral, olmo2, phi3, qwen2, qwen3, smollm3/,
      );
      return true;
    });
  }
});

const SMOL = {
  model_type: "smollm3",
  vocab_size: 512,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 8,
  num_attention_heads: 4,
  num_key_value_heads: 2,
};

test("SmolLM3: no_rope_layers (1 = RoPE) or every no_rope_layer_interval-th layer has no RoPE; defaults as SmolLM3Config", () => {
  const derived = normalizeConfig(SMOL);
  assert.deepEqual(derived.ropeLayers, [true, true, true, false, true, true, true, false]);
  assert.equal(derived.tieWordEmbeddings, true, "tied by default");
  assert.equal(derived.ropeTheta, 2_000_000, "rope_theta default");
  assert.deepEqual(normalizeConfig({ ...SMOL, no_rope_layer_interval: 3 }).ropeLayers?.slice(0, 6), [
    ...[true, true, false],
    ...[true, true, false],
  ]);
  const listed = [1, 0, 1, 1, 0, 1, 1, 1, 1]; // longer than the layers: the first 8 count
  assert.deepEqual(
    normalizeConfig({ ...SMOL, no_rope_layers: listed }).ropeLayers,
    listed.slice(0, 8).map(Boolean),
  );
  assert.equal(
    normalizeConfig({ ...SMOL, use_sliding_window: true, sliding_window: null }).modelType,
    "smollm3",
  );
  const refused: [Record<string, unknown>, string, RegExp][] = [
    [
      { no_rope_layers: [1, 0, 1] },
      "no_rope_layers",
      /at least num_hidden_layers \(8\) entries.*a list of 3/,
    ],
    [{ no_rope_layers: [1, 1, 1, 1, 2, 1, 1, 1] }, "no_rope_layers", /each 1 \(RoPE\) or 0/],
    [{ no_rope_layer_interval: 0 }, "no_rope_layer_interval", /positive integer, got 0/],
    [
      { use_sliding_window: true, sliding_window: 16 },
      "use_sliding_window",
      /sliding-window attention is not supported/,
    ],
  ];
  for (const [fields, field, message] of refused) {
    assert.throws(
      () => normalizeConfig({ ...SMOL, ...fields }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, field);
        assert.deepEqual(e.issues[0].path, [field]);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

test("SmolLM3 with interval-derived NoPE layers matches PyTorch, and the NoPE layers change the logits", async () => {
  const options = { arch: "smollm3", seed: 54, layers: 3 } as const;
  const derived = await withFields(options, {
    no_rope_layers: null,
    layer_types: null,
    no_rope_layer_interval: 3,
  });
  const allRope = await withFields(options, { no_rope_layers: [1, 1, 1] });
  const [ref, ropeRef] = await torchReferences({
    runs: [derived, allRope].map((model) => ({ model, inputIds: BATCH.ids, attentionMask: BATCH.mask })),
  });
  const backbone = await Backbone.load(derived, { tokenizer: false });
  backbones.push(backbone);
  assert.deepEqual(backbone.config.ropeLayers, [true, true, false]);
  const ours = (await backbone.logits(BATCH.ids, BATCH.mask)).data;
  const err = maxAbsError(ours, ref.logits, BATCH.mask);
  const effect = maxAbsError(ours, ropeRef.logits, BATCH.mask);
  console.log(
    `# smollm3 derived NoPE: max abs error ${err.toExponential(2)}, NoPE effect ${effect.toExponential(2)}`,
  );
  assert.ok(err <= 1e-4, `max abs error ${err}`);
  assert.ok(effect > 1e-2, `NoPE changes the logits (${effect})`);
});

// Long enough to pass original_max_position_embeddings (32): the long factors are used.
const T = 40;
const LONG = {
  ids: [
    Array.from({ length: T }, (_, t) => (t * 37 + 11) % 500),
    Array.from({ length: T }, (_, t) => (t * 101 + 3) % 500),
  ],
  mask: [Array(T).fill(1), [...Array(T - 5).fill(1), ...Array(5).fill(0)]],
};

test('Phi-3: the old "su" rope type means longrope, original_max_position_embeddings defaults to 4096, long factors match PyTorch', async () => {
  const options = { arch: "phi3", seed: 55, partialRotary: 0.75, longrope: 32 } as const;
  const dir = await makeTinyCheckpoint(options);
  const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
  const su = normalizeConfig({ ...config, rope_scaling: { ...config.rope_scaling, type: "su" } });
  assert.deepEqual(su.rope, normalizeConfig(config).rope);
  assert.throws(
    () => normalizeConfig({ ...config, rope_scaling: { type: "linear", factor: 2 } }),
    /rope_scaling\.type.*Phi-3 supports rope_type "default" or "longrope".*got "linear"/s,
  );
  const defaulted = normalizeConfig({ ...config, original_max_position_embeddings: undefined });
  assert.equal(defaulted.rope.long?.fromPosition, 4096);
  // As transformers' Phi3Model: sliding_window (Phi-3-mini-4k: 2047) on every layer; null means none.
  assert.deepEqual(normalizeConfig({ ...config, sliding_window: 2047 }).slidingWindow, {
    size: 2047,
    layers: [true, true],
  });
  assert.equal(normalizeConfig({ ...config, sliding_window: null }).slidingWindow, undefined);
  const suDir = await withFields(options, { rope_scaling: { ...config.rope_scaling, type: "su" } });
  const [ref] = await torchReferences({
    runs: [{ model: suDir, inputIds: LONG.ids, attentionMask: LONG.mask }],
  });
  const backbone = await Backbone.load(suDir, { tokenizer: false });
  backbones.push(backbone);
  const err = maxAbsError((await backbone.logits(LONG.ids, LONG.mask)).data, ref.logits, LONG.mask);
  console.log(`# phi3 longrope (long factors, T=${T}): max abs error ${err.toExponential(2)}`);
  assert.ok(err <= 1e-4, `max abs error ${err}`);
});
