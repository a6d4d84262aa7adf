/**
 * The learning rate a real fit records in metrics.jsonl, step for step, equals transformers' schedule driven as
 * its Trainer drives it (with gradient accumulation and a short last group per epoch).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Experiment, LoRAConfig } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot, fitCompleted, tinyLlama } from "./fixtures";
import { hfLearningRates } from "./hf-schedule";

test("a fit's recorded learning rates follow transformers' linear schedule with warmup and accumulation", async () => {
  // 24 training rows, batch 4: 6 micro-batches per epoch; accumulation 4 → steps of 4 + 2 micro-batches, 2 per
  // epoch, 6 over 3 epochs; warmup 0.5 epoch = 1 step.
  const exp = Experiment.create({ name: "lr", root: experimentsRoot() })
    .backbone(await tinyLlama())
    .dataset(arithmeticDataset())
    .lora(new LoRAConfig({ r: 2, alpha: 4, dropout: 0, targetModules: ["q_proj"] }))
    .train({
      epochs: 3,
      batchSize: 4,
      gradAccumulation: 4,
      learningRate: 2e-3,
      schedule: "linear",
      warmupEpochs: 0.5,
      minLrRatio: 0.1,
      evaluationEpochs: 3,
    })
    .environment({ seed: 3, threads: 1 })
    .logging({ logEveryNSteps: 1 });
  const run = await fitCompleted(exp);
  const recorded = readFileSync(path.join(run.dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === "step")
    .map((r) => r.learningRate as number);
  const [expected] = hfLearningRates([
    { schedule: "linear", peak: 2e-3, warmup: 1, minLrRatio: 0.1, micro: 6, ga: 4, epochs: 3 },
  ]);
  assert.equal(recorded.length, 6);
  assert.equal(recorded[0], 0); // transformers' first step with warmup
  recorded.forEach((lr, i) => {
    assert.ok(
      Math.abs(lr - expected[i]) <= 1e-15,
      `step ${i + 1}: recorded ${lr}, transformers ${expected[i]}`,
    );
  });
});
