/**
 * Augmentation in `fit()`: token masking and NEFTune change the training steps but not validation (which runs
 * without them), and the run still learns.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Experiment, LoRAConfig, type Run } from "../../sdk/train";
import { arithmeticDataset, evalLosses, experimentsRoot, fitCompleted, tinyLlama } from "./fixtures";

const stepLosses = (run: Run) => run.history.flatMap((r) => (r.type === "step" ? [r.loss] : []));

async function experiment(root: string, augmentation: Record<string, number>) {
  return Experiment.fromConfig({
    architecture: { backbone: await tinyLlama() },
    augmentation,
  })
    .dataset(arithmeticDataset())
    .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj", "v_proj"] }))
    .train({ epochs: 2, batchSize: 4, learningRate: 5e-3, evaluationEpochs: 1, evaluateBeforeTraining: true })
    .environment({ seed: 4, threads: 1 })
    .logging({ outputDir: root, logEveryNSteps: 1 });
}

test("token masking and NEFTune change training steps, not validation, and the run still learns", async () => {
  const root = experimentsRoot();
  const plain = await fitCompleted(await experiment(root, {}));
  const settings: Record<string, number>[] = [{ tokenMaskProbability: 0.3 }, { neftuneNoiseAlpha: 5 }];
  for (const augmentation of settings) {
    const run = await fitCompleted(await experiment(root, augmentation));
    const label = JSON.stringify(augmentation);
    const [a, b] = [stepLosses(plain), stepLosses(run)];
    assert.equal(a.length, b.length);
    assert.notEqual(a[0], b[0], `${label}: the first step sees augmented inputs`);
    assert.equal(evalLosses(run)[0], evalLosses(plain)[0], `${label}: validation runs without augmentation`);
    const evals = evalLosses(run);
    assert.ok(evals.at(-1)! < evals[0] - 0.05, `${label}: validation loss should fall: ${evals}`);
  }
});
