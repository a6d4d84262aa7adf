import assert from "node:assert/strict";
import { test } from "node:test";
import YAML from "yaml";
import { ModelCardOptionsSchema, renderModelCard } from "./model-card";

test("model card: YAML front matter, escaped tables, LoRA summary", () => {
  const card = ModelCardOptionsSchema.parse({
    title: "Capitals",
    license: "apache-2.0",
    datasets: ["org/capitals"],
    trainingConfig: { prompt: { template: "Q: {q} | A:" }, steps: 10n, empty: {} },
    metrics: { "exact match": 0.5, note: "a|b" },
  });
  const text = renderModelCard(card, {
    name: "merged",
    modelType: "qwen2",
    baseModel: "Qwen/Qwen2-0.5B",
    lora: { r: 16, alpha: 32, useRslora: true, scale: 8, modules: 48, targets: ["q_proj", "v_proj"] },
    fullFineTuning: false,
    parameters: 1234,
  });
  const [, yaml, body] = text.split(/^---\n/m);
  const meta = YAML.parse(yaml);
  assert.deepEqual(meta, {
    base_model: "Qwen/Qwen2-0.5B",
    library_name: "tunebook",
    pipeline_tag: "text-generation",
    tags: ["tunebook", "text-generation", "qwen2", "lora", "peft-merged"],
    license: "apache-2.0",
    datasets: ["org/capitals"],
  });
  assert.match(body, /^# Capitals$/m);
  assert.match(body, /\| prompt\.template \| Q: \{q\} \\\| A: \|/);
  assert.match(body, /\| steps \| "10" \|/);
  assert.match(body, /\| empty \| \{\} \|/);
  assert.match(body, /\| note \| a\\\|b \|/);
  assert.match(body, /rsLoRA, scale alpha\/√r = 8\) on `q_proj`, `v_proj`; the adapters of 48 modules/);
});
