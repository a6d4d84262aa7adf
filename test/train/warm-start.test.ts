/**
 * Warm start (`architecture.pretrained_weights`): a new experiment that starts from another experiment's
 * folder, one of its checkpoints, or its exported PEFT adapter begins exactly where that one ended — its
 * validation loss before step 1 equals the first experiment's final validation loss — and a folder that is
 * none of those is refused before any work.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { Metrics } from "../../sdk/eval";
import { Experiment, exportExperiment, LoRAConfig } from "../../sdk/train";
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
