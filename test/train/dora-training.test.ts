/**
 * Training with DoRA (`lora.use_dora`): a tiny fit with dropout on the adapters' input lowers the validation
 * loss and trains the magnitudes; its PEFT export holds `use_dora: true` and a `lora_magnitude_vector` per
 * module; the experiment folder loads (as `tunebook serve` does) to the adapter's logits; a warm start from that
 * adapter (or the experiment folder's checkpoint) takes `use_dora` from it and begins where the first run ended;
 * a cancelled DoRA run resumed from its checkpoint (magnitudes and their AdamW moments included) ends exactly like
 * an uninterrupted one; DoRA with a quantized backbone is refused before any folder is made.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Metrics } from "../../sdk/eval";
import { Backbone } from "../../sdk/models";
import {
  Experiment,
  exportExperiment,
  LoRAConfig,
  loadConfigFile,
  loadModelOrExperiment,
} from "../../sdk/train";
import { applyOverrides } from "../../sdk/train/config";
import { readSafetensors } from "../reference";
import {
  arithmeticDataset,
  assertResumesExactly,
  evalLosses,
  experimentsRoot,
  fitCompleted,
  tinyLlama,
} from "./fixtures";

async function experiment(root: string, name: string, lora: LoRAConfig, pretrainedWeights?: string) {
  return Experiment.create({ name, root })
    .backbone(await tinyLlama(), pretrainedWeights ? { pretrainedWeights } : {})
    .dataset(arithmeticDataset())
    .lora(lora)
    .train({ epochs: 1, batchSize: 4, learningRate: 5e-3, evaluationEpochs: 1, evaluateBeforeTraining: true })
    .environment({ seed: 9, threads: 1 })
    .metrics(Metrics.perplexity());
}

const DORA = new LoRAConfig({
  r: 4,
  alpha: 8,
  dropout: 0.1,
  targetModules: ["q_proj", "v_proj"],
  useDora: true,
});

test("a DoRA fit lowers the loss, exports PEFT's DoRA files, and warm-starts where it ended", async () => {
  const root = experimentsRoot();
  const first = await fitCompleted(await experiment(root, "dora", DORA));
  const [before, after] = evalLosses(first);
  assert.ok(after < before - 0.05, `the DoRA run should learn: ${before} → ${after}`);
  assert.equal(loadConfigFile(path.join(first.dir, "config.yaml")).lora.useDora, true);

  const adapter = await exportExperiment({
    experiment: first.dir,
    format: "peft",
    output: path.join(root, "adapter"),
  });
  assert.equal(JSON.parse(readFileSync(path.join(adapter, "adapter_config.json"), "utf8")).use_dora, true);
  const tensors = readSafetensors(path.join(adapter, "adapter_model.safetensors")).tensors;
  const m = tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"];
  assert.deepEqual(m?.shape, [64], "the magnitude is [out]");
  const w = readSafetensors(path.join(await tinyLlama(), "model.safetensors")).tensors[
    "model.layers.0.self_attn.q_proj.weight"
  ];
  const moved = m.values.map((v, o) => Math.abs(v - Math.hypot(...w.values.slice(o * 64, (o + 1) * 64))));
  assert.ok(Math.max(...moved) > 1e-4, "the magnitudes trained away from their start ‖W‖");
  assert.equal(Object.keys(tensors).length, 3 * 2 * 2, "A, B and m for q_proj and v_proj of 2 layers");

  // What `tunebook serve` / `generate` load from the experiment folder computes what the exported adapter does.
  const served = await loadModelOrExperiment(first.dir);
  const viaAdapter = await Backbone.load(await tinyLlama(), { adapter });
  try {
    const ids = [[1, 5, 9, 14, 2, 7, 30, 4]];
    const [x, y] = [await served.logits(ids), await viaAdapter.logits(ids)];
    assert.equal(served.lora?.options.useDora, true);
    let d = 0;
    for (let i = 0; i < x.data.length; i++) d = Math.max(d, Math.abs(x.data[i] - y.data[i]));
    assert.ok(d < 1e-5, `the experiment folder and its exported DoRA adapter differ by ${d}`);
  } finally {
    await Promise.all([served.dispose(), viaAdapter.dispose()]);
  }

  // The source's use_dora is taken where the new experiment leaves it at its default (false).
  const plain = new LoRAConfig({ r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj"] });
  for (const [kind, source] of Object.entries({ adapter, folder: first.dir })) {
    const second = await fitCompleted(await experiment(root, `from-${kind}`, plain, source));
    const start = evalLosses(second)[0];
    assert.ok(Math.abs(start - after) < 1e-5, `${kind}: starts at ${start}, the DoRA run ended at ${after}`);
    assert.equal(loadConfigFile(path.join(second.dir, "config.yaml")).lora.useDora, true, kind);
    assert.match(readFileSync(path.join(second.dir, "logs.txt"), "utf8"), /lora\.use_dora: false → true/);
  }
});

test("a cancelled DoRA run resumed from its checkpoint ends exactly like an uninterrupted one", async () => {
  const exp = (await experiment(experimentsRoot(), "dora-resume", DORA))
    .train({ epochs: 2, evaluationEpochs: 0.5, evaluateBeforeTraining: false })
    .logging({ logEveryNSteps: 1 });
  await assertResumesExactly(exp, 3);
});

test("use_dora with an int8/int4 backbone is refused before any folder is made", async () => {
  const root = experimentsRoot();
  const exp = (await experiment(root, "dora-int8", DORA)).backbone(await tinyLlama(), {
    backboneDtype: "int8",
  });
  await assert.rejects(exp.fit({ display: false }), (e: Error) => {
    assert.equal(e.name, "TunebookExperimentSetupError");
    assert.match(e.message, /lora\.use_dora needs the float base weights/);
    assert.match(e.message, /backbone_dtype is "int8"/);
    assert.match(e.message, /lora\.use_dora to false/);
    return true;
  });
  assert.ok(!existsSync(root) || readdirSync(root).length === 0, "no experiment folder");
  // The CLI spelling reaches the same field.
  const plain = (await experiment(root, "set", new LoRAConfig())).config;
  assert.equal(applyOverrides(plain, ["lora.use_dora=true"]).lora.useDora, true);
});
