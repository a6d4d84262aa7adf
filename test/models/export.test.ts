/**
 * exportMergedModel: a merged export reloads without LoRA to the LoRA backbone's logits (≤ 1e-5), the PyTorch
 * reference agrees on the exported folder, and peft_merge_reference.py (PEFT's merge rule, in torch) finds the
 * merged weights and layer outputs equal; bf16/f16 bases export in their dtype (float32 on request); a LoRA on a
 * tied head unties it;
 * sharding; full fine-tuning; tokenizer, chat template and model card; refusing to overwrite.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import YAML from "yaml";
import { Backbone, ExportError, exportMergedModel, LINEAR_MODULES, saveLoraAdapter } from "../../sdk/models";
import { makeTinyCheckpoint, readSafetensors, runReferenceScript } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { BATCH, maxAbsError } from "./compare";

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  rmSync(tmp, { recursive: true, force: true });
});
const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-export-"));

async function load(dir: string, options: Parameters<typeof Backbone.load>[1] = {}): Promise<Backbone> {
  const b = await Backbone.load(dir, options);
  backbones.push(b);
  return b;
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8"));
}

interface MergeCheck {
  modules: Record<
    string,
    {
      lora_max_abs: number;
      weight_max_abs: number;
      output_max_abs: number;
      rounded_mismatch: number;
      rounded_max_ulps: number;
    }
  >;
  unchanged_max_abs: number;
  missing: string[];
  extra: string[];
  dtypes: string[];
  torch_dtype: string;
}

/** Runs peft_merge_reference.py: PEFT's merge of base + adapter, in torch, against the exported folder. */
async function mergeCheck(
  base: string,
  adapter: string,
  exported: string,
  dequantize?: 8 | 4,
): Promise<MergeCheck> {
  const out = path.join(tmp, `merge-${path.basename(exported)}.json`);
  await runReferenceScript(process.env.TUNEBOOK_PYTHON ?? "/usr/bin/python3", "peft_merge_reference.py", [
    ...["--base", base, "--adapter", adapter, "--exported", exported, "--out", out],
    ...(dequantize ? ["--dequantize", `${dequantize}`] : []),
  ]);
  return JSON.parse(readFileSync(out, "utf8"));
}

/**
 * The merge of every adapted module equals PEFT's float32 merge (float32 exports: ≤ 1e-6; a 16-bit dtype: the
 * float32 merge rounded to it, but for the few elements one float32 rounding away from a 16-bit tie, ≤ 1 ulp).
 */
function assertMerged(check: MergeCheck, label: string, modules: number, dtype = "float32"): void {
  const storage = { float32: "F32", bfloat16: "BF16", float16: "F16" }[dtype];
  assert.equal(Object.keys(check.modules).length, modules, `${label}: adapted modules`);
  for (const [m, c] of Object.entries(check.modules)) {
    assert.ok(c.lora_max_abs > 1e-3, `${label} ${m}: the adapter is not a no-op (${c.lora_max_abs})`);
    if (dtype === "float32") {
      assert.ok(c.weight_max_abs <= 1e-6, `${label} ${m}: merged weight error ${c.weight_max_abs}`);
      assert.ok(c.output_max_abs <= 1e-5, `${label} ${m}: layer output error ${c.output_max_abs}`);
    } else {
      const { rounded_mismatch: n, rounded_max_ulps: ulps } = c;
      assert.ok(
        n <= 3 && ulps <= 1.0001,
        `${label} ${m}: ${n} elements off the rounded merge by up to ${ulps} ulp`,
      );
    }
  }
  assert.equal(check.unchanged_max_abs, 0, `${label}: other weights exactly the base's`);
  assert.deepEqual([check.missing, check.extra], [[], []], `${label}: same tensor names`);
  assert.deepEqual([check.dtypes, check.torch_dtype], [[storage], dtype], `${label}: ${dtype}`);
}

test("merged LoRA exports (bf16 untied, tied head with sharding) reload equal and match PyTorch", async () => {
  // llama, bf16, 2 shards, untied head, an adapter on every linear layer and the head.
  const llamaBase = await makeTinyCheckpoint({
    arch: "llama",
    seed: 31,
    dtype: "bfloat16",
    shards: 2,
    lora: {
      r: 4,
      alpha: 8,
      targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"],
    },
  });
  const llama = await load(llamaBase, { adapter: path.join(llamaBase, "adapter") });
  const llamaOut = await exportMergedModel({
    backbone: llama,
    dir: path.join(tmp, "llama-merged"),
    dtype: "float32",
    modelCard: {
      baseModel: "org/tiny-llama",
      trainingConfig: {
        training: { epochs: 3, learningRate: 2e-4 },
        lora: { r: 4, targetModules: ["q_proj"] },
      },
      metrics: { perplexity: 12.5, bleu: 0.25 },
      tags: ["demo"],
    },
  });
  assert.equal(llamaOut.mergedModules.length, 2 * 7 + 1);
  assert.ok(
    llamaOut.files.includes("model.safetensors") && !llamaOut.files.includes("model.safetensors.index.json"),
  );

  // gemma (tied head), fresh LoRA on q_proj and lm_head given trained values, saved as an adapter, exported
  // in shards of at most 60 kB.
  const gemmaBase = await makeTinyCheckpoint({ arch: "gemma", seed: 32 });
  const gemma = await load(gemmaBase, {
    lora: { r: 2, alpha: 4, targetModules: ["q_proj", "lm_head"], seed: 5 },
  });
  const trained = new Map<string, Float32Array>();
  for (const [name, v] of gemma.lora?.tensors() ?? [])
    trained.set(
      name,
      Float32Array.from(v, (x, i) => x + 0.3 * Math.cos(i)),
    );
  await gemma.updateParameters(trained);
  const gemmaAdapter = await saveLoraAdapter({ dir: path.join(tmp, "gemma-adapter"), backbone: gemma });
  const gemmaOut = await exportMergedModel({
    backbone: gemma,
    dir: path.join(tmp, "gemma-merged"),
    maxShardSize: "60KB",
  });
  const index = readJson(path.join(gemmaOut.dir, "model.safetensors.index.json")) as {
    metadata: { total_size: number };
    weight_map: Record<string, string>;
  };
  const shards = [...new Set(Object.values(index.weight_map))].sort();
  assert.ok(shards.length >= 3, `sharded into ${shards.length}`);
  let total = 0;
  for (const shard of shards) {
    const file = readSafetensors(path.join(gemmaOut.dir, shard));
    const bytes = Object.values(file.tensors).reduce((s, t) => s + t.dataOffsets[1] - t.dataOffsets[0], 0);
    assert.ok(bytes <= 60_000 || Object.keys(file.tensors).length === 1, `${shard}: ${bytes} bytes`);
    for (const name of Object.keys(file.tensors)) assert.equal(index.weight_map[name], shard, name);
    total += bytes;
  }
  assert.equal(index.metadata.total_size, total);
  assert.equal(readJson(path.join(gemmaOut.dir, "config.json")).tie_word_embeddings, false, "untied");
  assert.ok(index.weight_map["lm_head.weight"], "lm_head.weight written");

  // Reload without LoRA: the same logits as the LoRA backbones.
  for (const [lora, dir] of [
    [llama, llamaOut.dir],
    [gemma, gemmaOut.dir],
  ] as [Backbone, string][]) {
    const merged = await load(dir);
    assert.equal(merged.lora, undefined);
    const expected = await lora.logits(BATCH.ids, BATCH.mask);
    const err = maxAbsError(
      (await merged.logits(BATCH.ids, BATCH.mask)).data,
      toNested(expected),
      BATCH.mask,
    );
    assert.ok(err <= 1e-5, `${dir}: merged vs LoRA logits max abs error ${err.toExponential(2)}`);
  }

  // The PyTorch reference on the exported folders, and PEFT's merge rule on base + adapter.
  const refs = await torchReferences({
    runs: [llamaOut.dir, gemmaOut.dir].map((model) => ({
      model,
      inputIds: BATCH.ids,
      attentionMask: BATCH.mask,
    })),
  });
  for (const [i, lora] of [llama, gemma].entries()) {
    const err = maxAbsError((await lora.logits(BATCH.ids, BATCH.mask)).data, refs[i].logits, BATCH.mask);
    assert.ok(err <= 1e-4, `PyTorch on the export: max abs error ${err.toExponential(2)}`);
  }
  assertMerged(await mergeCheck(llamaBase, path.join(llamaBase, "adapter"), llamaOut.dir), "llama", 15);
  // The same merge in the source dtype (the default): bfloat16 files, torch_dtype kept.
  const llama16 = await exportMergedModel({
    backbone: llama,
    dir: path.join(tmp, "llama-bf16"),
    modelCard: false,
  });
  assert.equal(readJson(path.join(llama16.dir, "config.json")).torch_dtype, "bfloat16");
  assertMerged(
    await mergeCheck(llamaBase, path.join(llamaBase, "adapter"), llama16.dir),
    "llama bf16",
    15,
    "bfloat16",
  );
  assertMerged(await mergeCheck(gemmaBase, gemmaAdapter, gemmaOut.dir), "gemma", 2 + 1);

  // Tokenizer, chat template, generation config and model card.
  for (const file of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) {
    assert.equal(
      readFileSync(path.join(llamaOut.dir, file), "utf8"),
      readFileSync(path.join(llamaBase, file), "utf8"),
    );
  }
  const reloaded = await load(llamaOut.dir, { adapter: undefined });
  const text = "The capital of France is Paris.";
  assert.deepEqual(reloaded.modelDir.tokenizer?.encode(text), llama.modelDir.tokenizer?.encode(text));
  const chat = [{ role: "user" as const, content: "Hi" }];
  assert.equal(
    reloaded.modelDir.tokenizer?.applyChatTemplate(chat, { addGenerationPrompt: true }),
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
  );
  const readme = readFileSync(path.join(llamaOut.dir, "README.md"), "utf8");
  const front = YAML.parse(readme.split("---\n")[1]);
  assert.equal(front.base_model, "org/tiny-llama");
  assert.equal(front.library_name, "tunebook");
  assert.ok(
    ["tunebook", "llama", "lora", "demo"].every((t) => front.tags.includes(t)),
    String(front.tags),
  );
  assert.match(readme, /\| training\.learningRate \| 0\.0002 \|/);
  assert.match(readme, /\| lora\.targetModules \| \["q_proj"\] \|/);
  assert.match(readme, /\| perplexity \| 12\.5 \|/);
  assert.match(readme, /r = 4, alpha = 8/);
});

/** Our flat logits as the reference's nested [B][T][V] (to reuse maxAbsError). */
function toNested(l: { dims: readonly [number, number, number]; data: Float32Array }): number[][][] {
  const [B, T, V] = l.dims;
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => Array.from(l.data.subarray((b * T + t) * V, (b * T + t + 1) * V))),
  );
}

test("an f16 base merges into float16 files; an int8/int4 base merges its dequantized weights into the source dtype", async () => {
  const all = [...LINEAR_MODULES];
  const f16Base = await makeTinyCheckpoint({
    arch: "mistral",
    seed: 35,
    dtype: "float16",
    lora: { targets: all },
  });
  const adapter = path.join(f16Base, "adapter");
  const f16 = await load(f16Base, { adapter, tokenizer: false });
  const f16Out = await exportMergedModel({
    backbone: f16,
    dir: path.join(tmp, "mistral-f16"),
    modelCard: false,
  });
  assertMerged(await mergeCheck(f16Base, adapter, f16Out.dir), "mistral f16", 14, "float16");
  // QLoRA-style: the adapter was trained on the dequantized base Ŵ; the export is Ŵ + scale·B·A in bfloat16.
  const bf16Base = await makeTinyCheckpoint({
    arch: "qwen2",
    seed: 36,
    dtype: "bfloat16",
    lora: { targets: all },
  });
  const qAdapter = path.join(bf16Base, "adapter");
  for (const [dtype, bits] of [
    ["int8", 8],
    ["int4", 4],
  ] as const) {
    const quantized = await load(bf16Base, { adapter: qAdapter, tokenizer: false, dtype });
    const out = await exportMergedModel({
      backbone: quantized,
      dir: path.join(tmp, `qwen2-${dtype}`),
      modelCard: false,
    });
    assertMerged(await mergeCheck(bf16Base, qAdapter, out.dir, bits), `qwen2 ${dtype}`, 14, "bfloat16");
    // (Merged into the original weights instead, int8's and int4's quantization error would show as thousands
    // of elements off by many ulp.) A float32 export holds the float32 merge of Ŵ itself.
    if (bits === 8) {
      const f32 = path.join(tmp, `qwen2-${dtype}-f32`);
      await exportMergedModel({ backbone: quantized, dir: f32, dtype: "float32", modelCard: false });
      assertMerged(await mergeCheck(bf16Base, qAdapter, f32, bits), `qwen2 ${dtype} float32`, 14);
    }
  }
});

test("full fine-tuning of an f16 base exports the trained weights as float32 on request", async () => {
  const base = await makeTinyCheckpoint({ arch: "qwen3", seed: 33, dtype: "float16" });
  const backbone = await load(base, { tokenizer: false });
  const names = ["model.norm.weight", "model.layers.1.mlp.up_proj.weight", "model.embed_tokens.weight"];
  const trained = new Map<string, Float32Array>();
  for (const name of names) {
    const shape = backbone.modelDir.weights.ref(name).shape;
    const v = backbone.weights.values(name, shape);
    trained.set(
      name,
      Float32Array.from(v, (x, i) => x * 1.1 + 0.01 * Math.sin(i)),
    );
  }
  await backbone.updateParameters(trained);
  const out = await exportMergedModel({
    backbone,
    dir: path.join(tmp, "qwen3-full"),
    dtype: "float32",
    chatTemplate: "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}",
  });
  assert.deepEqual(out.mergedModules, []);
  const file = readSafetensors(path.join(out.dir, "model.safetensors"));
  for (const [name, values] of trained)
    assert.deepEqual(Float32Array.from(file.tensors[name].values), values, name);
  const stored = readSafetensors(path.join(base, "model.safetensors"));
  assert.ok(Object.values(stored.tensors).every((t) => t.dtype === "F16"));
  assert.ok(Object.values(file.tensors).every((t) => t.dtype === "F32"));
  for (const [name, t] of Object.entries(stored.tensors)) {
    if (!trained.has(name)) assert.deepEqual(file.tensors[name].values, t.values, `${name} widened exactly`);
  }
  assert.equal(readJson(path.join(out.dir, "config.json")).torch_dtype, "float32");
  const [ref] = await torchReferences({
    runs: [{ model: out.dir, inputIds: BATCH.ids, attentionMask: BATCH.mask }],
  });
  const ours = await backbone.logits(BATCH.ids, BATCH.mask);
  const err = maxAbsError(ours.data, ref.logits, BATCH.mask);
  assert.ok(err <= 1e-4, `PyTorch on the export: ${err.toExponential(2)}`);
  const reloaded = await load(out.dir);
  const again = maxAbsError((await reloaded.logits(BATCH.ids, BATCH.mask)).data, toNested(ours), BATCH.mask);
  assert.ok(again <= 1e-5, `reloaded: ${again.toExponential(2)}`);
  assert.equal(
    reloaded.modelDir.tokenizer?.applyChatTemplate([{ role: "user", content: "Hi" }]),
    "<user>Hi",
    "the new chat template",
  );
  assert.match(readFileSync(path.join(out.dir, "README.md"), "utf8"), /Fully fine-tuned/);
});

test("export refuses a non-empty folder unless overwrite, and replaces it whole", async () => {
  const base = await makeTinyCheckpoint({ arch: "llama", seed: 34, tie: true });
  const backbone = await load(base, { tokenizer: false });
  const parent = path.join(tmp, "refuse");
  const dir = path.join(parent, "model");
  mkdirSync(dir, { recursive: true });
  await exportMergedModel({ backbone, dir, modelCard: false }); // an empty folder is fine
  assert.ok(!existsSync(path.join(dir, "README.md")));
  writeFileSync(path.join(dir, "stale.bin"), "old");
  await assert.rejects(exportMergedModel({ backbone, dir }), (e: unknown) => {
    assert.ok(e instanceof ExportError, String(e));
    assert.equal(e.target, dir);
    assert.match(e.message, /exists and is not empty .*overwrite: true/);
    return true;
  });
  assert.ok(existsSync(path.join(dir, "stale.bin")), "left untouched");
  const file = path.join(parent, "a-file");
  writeFileSync(file, "x");
  await assert.rejects(exportMergedModel({ backbone, dir: file, overwrite: true }), /expected a folder/);
  await exportMergedModel({ backbone, dir, overwrite: true });
  assert.ok(!existsSync(path.join(dir, "stale.bin")), "replaced whole");
  assert.ok(existsSync(path.join(dir, "README.md")));
  assert.deepEqual(readdirSync(parent).sort(), ["a-file", "model"], "no temporary folders left");
});
