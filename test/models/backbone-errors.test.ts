/**
 * Backbone's errors: an unknown model_type lists the supported ones; a config/weight mismatch names the tensor
 * and its file; the registry serves every family.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Backbone, supportedModelTypes, UnknownModelTypeError, WeightMismatchError } from "../../sdk/models";
import { makeTinyCheckpoint } from "../reference";

const temp = mkdtempSync(path.join(os.tmpdir(), "tunebook-models-errors-"));
after(() => rmSync(temp, { recursive: true, force: true }));

/** A copy of a tiny llama checkpoint with `config.json` edited. */
async function editedCheckpoint(name: string, edit: (cfg: Record<string, unknown>) => void): Promise<string> {
  const src = await makeTinyCheckpoint({ arch: "llama" });
  const dir = path.join(temp, name);
  cpSync(src, dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
  edit(cfg);
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(cfg));
  return dir;
}

test("every family of the reference is supported", () => {
  assert.deepEqual(supportedModelTypes(), [
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "llama",
    "mistral",
    "olmo2",
    "phi3",
    "qwen2",
    "qwen3",
    "smollm3",
  ]);
});

test("an unknown model_type throws, listing the supported ones", async () => {
  const dir = await editedCheckpoint("gpt2", (cfg) => {
    cfg.model_type = "gpt2";
  });
  await assert.rejects(Backbone.load(dir, { tokenizer: false }), (e: unknown) => {
    assert.ok(e instanceof UnknownModelTypeError);
    assert.equal(e.modelType, "gpt2");
    assert.match(
      e.message,
      /Unsupported model_type "gpt2".*supported: gemma, gemma2, gemma3, gemma3_text, llama, mistral, olmo2, phi3, qwen2, qwen3, smollm3\. .*one file/,
    );
    return true;
  });
});

test("a config/weight shape mismatch names the tensor and the file", async () => {
  const dir = await editedCheckpoint("wide", (cfg) => {
    cfg.intermediate_size = 96; // the weights hold 128
  });
  await assert.rejects(Backbone.load(dir, { tokenizer: false }), (e: unknown) => {
    assert.ok(e instanceof WeightMismatchError);
    assert.equal(e.tensor, "model.layers.0.mlp.gate_proj.weight");
    assert.equal(e.file, "model.safetensors");
    assert.match(e.message, /expected shape \[96, 64\], found shape \[128, 64\]/);
    return true;
  });
});

test("a missing tensor names the tensor", async () => {
  const dir = await editedCheckpoint("untied", (cfg) => {
    cfg.num_hidden_layers = 3; // the weights have 2 layers
  });
  await assert.rejects(Backbone.load(dir, { tokenizer: false }), (e: unknown) => {
    assert.ok(e instanceof WeightMismatchError);
    assert.equal(e.tensor, "model.layers.2.input_layernorm.weight");
    assert.equal(e.found, "no such tensor");
    return true;
  });
});
