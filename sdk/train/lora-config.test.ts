import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../errors";
import { parseExperimentConfig } from "./config";
import { LoRAConfig } from "./lora-config";

// An adapter_config.json exactly as PEFT 0.10–0.13 writes it (published in a public repository).
const peftWritten = {
  alpha_pattern: {},
  auto_mapping: null,
  base_model_name_or_path: "llava-hf/llava-v1.6-vicuna-7b-hf",
  bias: "none",
  fan_in_fan_out: false,
  inference_mode: true,
  init_lora_weights: true,
  layer_replication: null,
  layers_pattern: null,
  layers_to_transform: null,
  loftq_config: {},
  lora_alpha: 32,
  lora_dropout: 0.05,
  megatron_config: null,
  megatron_core: "megatron.core",
  modules_to_save: null,
  peft_type: "LORA",
  r: 16,
  rank_pattern: {},
  revision: null,
  target_modules: ["q_proj", "k_proj", "v_proj", "o_proj"],
  task_type: "CAUSAL_LM",
  use_dora: false,
  use_rslora: false,
};

test("scale is alpha/r, or alpha/√r with rsLoRA (PEFT's formulas)", () => {
  assert.equal(new LoRAConfig({ r: 8, alpha: 16 }).scale, 2);
  assert.equal(new LoRAConfig({ r: 16, alpha: 32, useRslora: true }).scale, 8);
  assert.equal(new LoRAConfig({ r: 3, alpha: 1, useRslora: true }).scale, 1 / Math.sqrt(3));
  const defaults = new LoRAConfig();
  assert.deepEqual([defaults.r, defaults.alpha, defaults.dropout], [8, 16, 0.05]);
  assert.deepEqual(defaults.targetModules, ["q_proj", "v_proj"]);
});

test("toPeftJson reproduces a PEFT-written adapter_config.json field for field", () => {
  const lora = LoRAConfig.fromPeftJson(peftWritten);
  assert.deepEqual([lora.r, lora.alpha, lora.dropout, lora.useRslora], [16, 32, 0.05, false]);
  assert.deepEqual(lora.toPeftJson("llava-hf/llava-v1.6-vicuna-7b-hf"), peftWritten);
  const allLinear = new LoRAConfig({ targetModules: "all-linear", useRslora: true }).toPeftJson(null);
  assert.equal(allLinear.target_modules, "all-linear");
  assert.equal(allLinear.use_rslora, true);
  assert.equal(allLinear.base_model_name_or_path, null);
  assert.deepEqual(LoRAConfig.fromPeftJson({ ...allLinear }).toPeftJson(null), allLinear);
});

test("fromPeftJson accepts newer PEFT fields at neutral values and refuses unsupported features", () => {
  const newer = {
    ...peftWritten,
    lora_bias: false,
    peft_version: "0.19.1",
    exclude_modules: null,
    use_qalora: false,
  };
  assert.equal(LoRAConfig.fromPeftJson(newer).r, 16);
  const dora = LoRAConfig.fromPeftJson({ ...peftWritten, use_dora: true });
  assert.equal(dora.useDora, true);
  assert.equal(dora.toPeftJson(null).use_dora, true);
  assert.throws(
    () => LoRAConfig.fromPeftJson({ ...peftWritten, bias: "all", target_modules: ".*proj" }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /adapter_config\.json/);
      assert.match(e.message, /bias: trained biases are not supported; expected "none", got "all"/);
      assert.match(e.message, /target_modules: regex target modules are not supported/);
      return true;
    },
  );
  assert.throws(() => LoRAConfig.fromPeftJson({ ...peftWritten, peft_type: "IA3" }), /only "LORA" adapters/);
});

test("invalid options are ConfigErrors naming the option, value and range", () => {
  assert.throws(() => new LoRAConfig({ r: 0 }), /r: expected an integer ≥ 1 and ≤ 1024, got 0/);
  assert.throws(() => new LoRAConfig({ alpha: 0 }), /alpha: expected a number > 0/);
  assert.throws(
    () => new LoRAConfig({ targetModules: [] }),
    /targetModules: expected exactly "all-linear" or a non-empty list/,
  );
  assert.throws(() => new LoRAConfig({ rank: 4 } as never), /unknown setting 'rank'/);
});

test("fromConfig reads an experiment's lora group", () => {
  const config = parseExperimentConfig({
    architecture: { backbone: "x" },
    lora: { r: 4, alpha: 8, use_rslora: true },
  });
  const lora = LoRAConfig.fromConfig(config.lora);
  assert.equal(lora.scale, 4);
});
