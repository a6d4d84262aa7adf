/**
 * DoRA adapters in PEFT's format: a DoRA adapter written by the Python reference script (random A, B and
 * magnitudes) loads, saves back to the same files (`lora_magnitude_vector` `[out]`, `use_dora: true`) and reloads
 * to identical logits; its merged export, read by the PyTorch reference without the adapter, gives the logits the
 * reference computes with the adapter (PEFT's DoRA forward); a fresh DoRA adapter leaves the base model's logits
 * unchanged; DoRA on a quantized base, and a DoRA adapter missing a magnitude, are refused with clear errors.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Backbone, exportMergedModel, saveLoraAdapter } from "../../sdk/models";
import { makeTinyCheckpoint, readSafetensors, writeSafetensorsF32 } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { BATCH, maxAbsError } from "./compare";

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  rmSync(tmp, { recursive: true, force: true });
});
const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-dora-"));

async function load(dir: string, options: Parameters<typeof Backbone.load>[1] = {}): Promise<Backbone> {
  const b = await Backbone.load(dir, { tokenizer: false, ...options });
  backbones.push(b);
  return b;
}

const TARGETS: [string, ...string[]] = ["q_proj", "v_proj", "up_proj", "down_proj", "lm_head"];

test("a PEFT DoRA adapter saves back to PEFT's files, and its merged export matches PyTorch's DoRA forward", async () => {
  const base = await makeTinyCheckpoint({
    arch: "qwen2",
    seed: 41,
    lora: { r: 4, alpha: 8, targets: TARGETS, dora: true },
  });
  const fixture = path.join(base, "adapter");
  const backbone = await load(base, { adapter: fixture });
  assert.equal(backbone.lora?.options.useDora, true);

  const saved = await saveLoraAdapter({ dir: path.join(tmp, "saved"), backbone });
  const config = JSON.parse(readFileSync(path.join(saved, "adapter_config.json"), "utf8"));
  assert.equal(config.use_dora, true);
  const theirs = readSafetensors(path.join(fixture, "adapter_model.safetensors")).tensors;
  const ours = readSafetensors(path.join(saved, "adapter_model.safetensors")).tensors;
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), "PEFT's tensor names");
  const magnitudes = Object.keys(ours).filter((k) => k.endsWith(".lora_magnitude_vector"));
  assert.equal(magnitudes.length, 2 * 4 + 1, "one magnitude per adapted module");
  for (const [name, t] of Object.entries(theirs)) {
    assert.deepEqual(ours[name].shape, t.shape, `${name}: shape`);
    assert.deepEqual(
      [...ours[name].values],
      [...Float32Array.from(t.values)],
      `${name}: values (float32, unchanged)`,
    );
  }
  const reloaded = await load(base, { adapter: saved });
  const [a, b] = [await backbone.logits(BATCH.ids, BATCH.mask), await reloaded.logits(BATCH.ids, BATCH.mask)];
  assert.deepEqual([...b.data], [...a.data], "a saved DoRA adapter reloads to identical logits");

  const merged = await exportMergedModel({ backbone, dir: path.join(tmp, "merged") });
  assert.equal(merged.mergedModules.length, 2 * 4 + 1);
  const [withAdapter, exported] = await torchReferences({
    runs: [
      { model: base, adapter: fixture, inputIds: BATCH.ids, attentionMask: BATCH.mask },
      { model: merged.dir, inputIds: BATCH.ids, attentionMask: BATCH.mask },
    ],
  });
  const ref = maxAbsError(a.data, withAdapter.logits, BATCH.mask);
  assert.ok(ref <= 1e-4, `our DoRA logits vs PyTorch's: ${ref.toExponential(2)}`);
  const exportErr = maxAbsError(Float32Array.from(exported.logits.flat(2)), withAdapter.logits, BATCH.mask);
  assert.ok(
    exportErr <= 1e-4,
    `merged export (PyTorch, no adapter) vs DoRA adapter: ${exportErr.toExponential(2)}`,
  );
  const plain = await load(merged.dir);
  const ownErr = maxAbsError(
    (await plain.logits(BATCH.ids, BATCH.mask)).data,
    withAdapter.logits,
    BATCH.mask,
  );
  assert.ok(ownErr <= 1e-4, `merged export loaded here vs DoRA adapter: ${ownErr.toExponential(2)}`);
});

test("a fresh DoRA adapter (B = 0, m = ‖W‖) leaves the base model's logits unchanged", async () => {
  const base = await makeTinyCheckpoint({ arch: "llama", seed: 42, tie: true });
  const plain = await load(base);
  const dora = await load(base, {
    lora: { r: 2, alpha: 4, targetModules: TARGETS, useDora: true, seed: 1 },
  });
  const built = dora.buildGraph();
  assert.equal(built.trainableParams.length, 3 * (2 * 4 + 1), "lora_A, lora_B and a magnitude per module");
  const m = dora.lora?.tensors().get("base_model.model.model.layers.0.mlp.up_proj.lora_magnitude_vector");
  assert.equal(m?.length, dora.config.intermediateSize);
  const [x, y] = [await plain.logits(BATCH.ids, BATCH.mask), await dora.logits(BATCH.ids, BATCH.mask)];
  let err = 0;
  for (let i = 0; i < x.data.length; i++) err = Math.max(err, Math.abs(x.data[i] - y.data[i]));
  assert.ok(err <= 1e-5, `max abs difference ${err.toExponential(2)}`);
});

test("DoRA on a quantized (int8/int4) base is refused, saying why and what to set", async () => {
  const base = await makeTinyCheckpoint({ arch: "llama", seed: 42 });
  for (const dtype of ["int8", "int4"] as const) {
    await assert.rejects(
      Backbone.load(base, { tokenizer: false, dtype, lora: { targetModules: ["q_proj"], useDora: true } }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, /DoRA needs the float weight of model\.layers\.0\.self_attn\.q_proj/);
        assert.match(e.message, /quantized \(int8\/int4\)/);
        assert.match(e.message, /dtype float32|use_dora: false/);
        return true;
      },
    );
  }
});

test("a DoRA adapter without a module's lora_magnitude_vector is refused, naming the tensor", async () => {
  const base = await makeTinyCheckpoint({
    arch: "llama",
    seed: 43,
    lora: { r: 2, alpha: 4, targets: ["q_proj"], dora: true },
  });
  const broken = path.join(tmp, "no-magnitude");
  cpSync(path.join(base, "adapter"), broken, { recursive: true });
  const file = path.join(broken, "adapter_model.safetensors");
  const { tensors } = readSafetensors(file);
  const missing = "base_model.model.model.layers.1.self_attn.q_proj.lora_magnitude_vector";
  delete tensors[missing];
  writeSafetensorsF32(file, tensors);
  await assert.rejects(Backbone.load(base, { tokenizer: false, adapter: broken }), (e: Error) => {
    assert.equal(e.name, "TunebookAdapterError");
    assert.match(
      e.message,
      new RegExp(`${missing.replaceAll(".", "\\.")}: expected shape \\[64\\], found no such tensor`),
    );
    return true;
  });
});
