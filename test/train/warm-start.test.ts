/**
 * Warm start (`architecture.pretrained_weights`): a new experiment that starts from another experiment's
 * folder, one of its checkpoints, or its exported PEFT adapter begins exactly where that one ended — its
 * validation loss before step 1 equals the first experiment's final validation loss — and a folder that is
 * none of those is refused before any work.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Metrics } from "../../sdk/eval";
import { Backbone } from "../../sdk/models";
import { Experiment, exportExperiment, LoRAConfig, loadConfigFile } from "../../sdk/train";
import { makeTinyCheckpoint } from "../reference";
import { arithmeticDataset, evalLosses, experimentsRoot, fitCompleted, tinyLlama } from "./fixtures";

async function experiment(root: string, name: string, pretrainedWeights?: string) {
  return Experiment.create({ name, root })
    .backbone(await tinyLlama(), pretrainedWeights ? { pretrainedWeights } : {})
    .dataset(arithmeticDataset())
    .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj"] }))
    .train({ epochs: 1, batchSize: 4, learningRate: 5e-3, evaluationEpochs: 1, evaluateBeforeTraining: true })
    .environment({ seed: 9, threads: 1 })
    .metrics(Metrics.perplexity());
}

test("a warm start begins where the earlier experiment ended (folder, checkpoint or PEFT adapter)", async () => {
  const root = experimentsRoot();
  const first = await fitCompleted(await experiment(root, "first"));
  const [before, after] = evalLosses(first);
  assert.ok(after < before - 0.05, `the first run should learn: ${before} → ${after}`);
  const adapter = await exportExperiment({
    experiment: first.dir,
    format: "peft",
    output: path.join(root, "adapter"),
  });
  const sources = { folder: first.dir, checkpoint: path.join(first.dir, "checkpoints", "last"), adapter };
  for (const [kind, source] of Object.entries(sources)) {
    const second = await fitCompleted(await experiment(root, `from-${kind}`, source));
    const start = evalLosses(second)[0];
    assert.ok(Math.abs(start - after) < 1e-5, `${kind}: starts at ${start}, the first run ended at ${after}`);
    assert.match(second.dir, new RegExp(`from-${kind}`));
  }
});

test("pretrained_weights that is not an experiment, checkpoint or adapter is refused, naming the fix", async () => {
  const root = experimentsRoot();
  const exp = await experiment(root, "bad", root);
  await assert.rejects(exp.fit({ display: false }), (e: Error) => {
    assert.equal(e.name, "TunebookExperimentSetupError");
    assert.match(e.message, /pretrained_weights ".*" is not an experiment folder with a checkpoint/);
    assert.match(e.message, /checkpoints\/<best\|last>/);
    return true;
  });
});

// A PEFT adapter written by the PyTorch reference script: r 4, alpha 16, rsLoRA (scale 16/√4 = 8, where the
// experiment's defaults r 8, alpha 16 would give 2), non-zero B.
const peftAdapter = async () => {
  const base = await makeTinyCheckpoint({
    arch: "llama",
    seed: 11,
    lora: { r: 4, alpha: 16, targets: ["q_proj", "v_proj"], rslora: true },
  });
  return { base, adapter: path.join(base, "adapter") };
};

/** An experiment `name` that warm-starts from {@link peftAdapter}'s adapter with `lora`, for `epochs` epochs. */
async function fromPeftAdapter(name: string, lora: Parameters<Experiment["lora"]>[0], epochs: number) {
  const { base, adapter } = await peftAdapter();
  const exp = Experiment.create({ name, root: experimentsRoot() })
    .backbone(base, { pretrainedWeights: adapter })
    .dataset(arithmeticDataset())
    .lora(lora)
    .train({ epochs })
    .environment({ seed: 1, threads: 1 });
  return { base, adapter, exp };
}

test("a warm start from a PEFT adapter takes its LoRA settings where left at defaults: logits as Backbone.load(base, { adapter })", async () => {
  const { base, adapter, exp } = await fromPeftAdapter("from-peft", { dropout: 0 }, 0);
  const run = await exp.fit({ display: false });
  const reference = await Backbone.load(base, { adapter });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    const ids = [
      [1, 5, 9, 14, 2, 7, 30, 4],
      [3, 8, 21, 6, 11, 40, 2, 9],
    ];
    const [ours, theirs] = [await run.backbone.logits(ids), await reference.logits(ids)];
    let d = 0;
    for (let i = 0; i < ours.data.length; i++) d = Math.max(d, Math.abs(ours.data[i] - theirs.data[i]));
    assert.ok(d < 1e-5, `logits differ from Backbone.load(base, { adapter }) by ${d}`);
    const recorded = loadConfigFile(path.join(run.dir, "config.yaml")).lora;
    assert.deepEqual(
      { r: recorded.r, alpha: recorded.alpha, useRslora: recorded.useRslora, dropout: recorded.dropout },
      { r: 4, alpha: 16, useRslora: true, dropout: 0 },
    );
    assert.match(readFileSync(path.join(run.dir, "logs.txt"), "utf8"), /lora\.use_rslora: false → true/);
  } finally {
    await Promise.all([run.backbone.dispose(), reference.dispose()]);
  }
});

test("a warm start whose LoRA settings the experiment sets otherwise is refused, naming both values", async () => {
  const { exp } = await fromPeftAdapter(
    "alpha-8",
    new LoRAConfig({ r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj", "v_proj"] }),
    1,
  );
  await assert.rejects(exp.fit({ display: false }), (e: Error) => {
    assert.equal(e.name, "TunebookExperimentSetupError");
    assert.match(e.message, /lora\.alpha is 8 but 16 in the adapter .*adapter/);
    assert.doesNotMatch(e.message, /use_rslora/); // left at its default: taken from the adapter
    return true;
  });
});
