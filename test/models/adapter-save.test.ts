/**
 * saveLoraAdapter: the files are PEFT's (adapter_config.json keys as the PEFT fixture writes them, float32
 * `base_model.model.<module>.lora_A/B.weight` tensors), a saved adapter reloads to identical logits, and the
 * independent PyTorch reference (hf_reference.py, PEFT's LoRA rule) reading the saved files agrees with the
 * backbone that saved them. Misuse raises ExportError / ConfigError.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Backbone, ExportError, saveLoraAdapter } from "../../sdk/models";
import { makeTinyCheckpoint, readSafetensors } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { BATCH, maxAbsError } from "./compare";

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-adapter-save-"));

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** Stands in for training: moves every adapter value by a deterministic, non-trivial amount. */
async function perturb(backbone: Backbone, amount: number): Promise<Map<string, Float32Array>> {
  const trained = new Map<string, Float32Array>();
  for (const [name, v] of backbone.lora?.tensors() ?? []) {
    trained.set(
      name,
      Float32Array.from(v, (x, i) => x + amount * Math.sin(i * 0.7 + name.length)),
    );
  }
  await backbone.updateParameters(trained);
  return trained;
}

test("a saved adapter has PEFT's files, reloads to identical logits and matches PyTorch", async () => {
  const base = await makeTinyCheckpoint({
    arch: "qwen2",
    seed: 21,
    lora: { r: 4, alpha: 8, targets: ["q_proj", "v_proj", "down_proj"], rslora: true },
  });
  const fixture = path.join(base, "adapter");
  const loaded = await Backbone.load(base, { tokenizer: false, adapter: fixture });
  backbones.push(loaded);
  const trained = await perturb(loaded, 0.05);
  const savedLoaded = await saveLoraAdapter({ dir: path.join(tmp, "qwen2"), backbone: loaded });

  const llama = await makeTinyCheckpoint({ arch: "llama", seed: 22, tie: true });
  const fresh = await Backbone.load(llama, {
    tokenizer: false,
    lora: { r: 2, alpha: 16, dropout: 0.1, targetModules: "all-linear", seed: 3 },
  });
  backbones.push(fresh);
  await perturb(fresh, 0.2); // B = 0 at start: give it values
  const savedFresh = await saveLoraAdapter({
    dir: path.join(tmp, "llama"),
    backbone: fresh,
    baseModel: "org/tiny",
  });

  // adapter_config.json: the same keys as the PEFT fixture, with our settings.
  const ours = readJson(path.join(savedLoaded, "adapter_config.json"));
  const theirs = readJson(path.join(fixture, "adapter_config.json"));
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
  assert.deepEqual(Object.keys(ours), Object.keys(ours).sort(), "keys sorted, as PEFT writes them");
  for (const key of ["r", "lora_alpha", "target_modules", "use_rslora", "peft_type", "task_type", "bias"]) {
    assert.deepEqual(ours[key], theirs[key], key);
  }
  assert.equal(ours.base_model_name_or_path, base);
  assert.equal(ours.inference_mode, true);
  assert.equal(ours.fan_in_fan_out, false);
  const freshConfig = readJson(path.join(savedFresh, "adapter_config.json"));
  assert.deepEqual(freshConfig.target_modules, [
    "down_proj",
    "gate_proj",
    "k_proj",
    "o_proj",
    "q_proj",
    "up_proj",
    "v_proj",
  ]);
  assert.equal(freshConfig.base_model_name_or_path, "org/tiny");
  assert.equal(freshConfig.lora_dropout, 0.1);
  assert.equal(freshConfig.use_rslora, false);

  // adapter_model.safetensors: the fixture's names, shapes and dtype; the trained values.
  const file = readSafetensors(path.join(savedLoaded, "adapter_model.safetensors"));
  const ref = readSafetensors(path.join(fixture, "adapter_model.safetensors"));
  assert.deepEqual(file.metadata, { format: "pt" });
  assert.deepEqual(Object.keys(file.tensors).sort(), Object.keys(ref.tensors).sort());
  for (const [name, t] of Object.entries(file.tensors)) {
    assert.equal(t.dtype, "F32");
    assert.deepEqual(t.shape, ref.tensors[name].shape, name);
    assert.deepEqual(Float32Array.from(t.values), trained.get(name), name);
  }
  assert.equal(
    Object.keys(readSafetensors(path.join(savedFresh, "adapter_model.safetensors")).tensors).length,
    28,
  );
  assert.deepEqual(readdirSync(tmp).sort(), ["llama", "qwen2"], "no temporary folders left");

  // Round trip, and the PyTorch reference reading the saved files.
  const refs = await torchReferences({
    runs: [
      { model: base, adapter: savedLoaded, inputIds: BATCH.ids, attentionMask: BATCH.mask },
      { model: llama, adapter: savedFresh, inputIds: BATCH.ids, attentionMask: BATCH.mask },
      { model: base, adapter: fixture, inputIds: BATCH.ids, attentionMask: BATCH.mask },
    ],
  });
  for (const [i, [backbone, saved]] of [
    [loaded, savedLoaded],
    [fresh, savedFresh],
  ].entries() as IterableIterator<[number, [Backbone, string]]>) {
    const expected = await backbone.logits(BATCH.ids, BATCH.mask);
    const reloaded = await Backbone.load(backbone.modelDir.dir, { tokenizer: false, adapter: saved });
    backbones.push(reloaded);
    const got = await reloaded.logits(BATCH.ids, BATCH.mask);
    assert.deepEqual(got.data, expected.data, `${saved}: reloaded logits identical`);
    const err = maxAbsError(expected.data, refs[i].logits, BATCH.mask);
    assert.ok(err <= 1e-4, `${saved}: PyTorch logits max abs error ${err.toExponential(2)}`);
  }
  // The perturbation matters: the fixture adapter's logits differ from the trained one's.
  const moved = maxAbsError((await loaded.logits(BATCH.ids, BATCH.mask)).data, refs[2].logits, BATCH.mask);
  assert.ok(moved > 1e-3, `training changed the logits (${moved})`);
});

test("saveLoraAdapter refuses a backbone without LoRA, a non-empty folder, and bad options", async () => {
  const base = await makeTinyCheckpoint({ arch: "llama", seed: 22, tie: true });
  const plain = await Backbone.load(base, { tokenizer: false });
  backbones.push(plain);
  const dir = path.join(tmp, "refuse");
  await assert.rejects(saveLoraAdapter({ dir, backbone: plain }), (e: unknown) => {
    assert.ok(e instanceof ExportError, String(e));
    assert.equal(e.target, dir);
    assert.match(e.message, /no LoRA adapters to save.*Backbone\.load/);
    return true;
  });
  const lora = await Backbone.load(base, { tokenizer: false, lora: { r: 2, targetModules: ["q_proj"] } });
  backbones.push(lora);
  await saveLoraAdapter({ dir, backbone: lora });
  writeFileSync(path.join(dir, "note.txt"), "keep me");
  await assert.rejects(saveLoraAdapter({ dir, backbone: lora }), (e: unknown) => {
    assert.ok(e instanceof ExportError);
    assert.match(e.message, /not empty .*overwrite: true/);
    return true;
  });
  assert.equal(readFileSync(path.join(dir, "note.txt"), "utf8"), "keep me", "left untouched");
  await saveLoraAdapter({ injector: lora.lora, baseModel: "org/tiny", dir, overwrite: true });
  assert.deepEqual(readdirSync(dir).sort(), [
    "adapter_config.json",
    "adapter_model.safetensors",
    "tunebook-export.json",
  ]);
  assert.equal(readJson(path.join(dir, "adapter_config.json")).base_model_name_or_path, "org/tiny");
  await assert.rejects(
    saveLoraAdapter({ dir, injector: lora.lora }),
    ConfigError,
    "injector needs baseModel",
  );
  await assert.rejects(saveLoraAdapter({ dir, backbone: lora, injector: lora.lora }), ConfigError);
});
