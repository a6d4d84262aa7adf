/**
 * Gradient accumulation on the tiny Llama: by default an accumulated step equals one batch holding the same rows
 * (transformers ≥ 4.46 weights micro-batches by their target tokens), clipping included; the mean of micro-batch
 * means (H2O LLM Studio, transformers < 4.46) stays available as `gradAccumulationAverage: "micro_batches"`.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { Dataset } from "../../sdk/data";
import { Experiment, LoRAConfig, type StepEvent } from "../../sdk/train";
import { readCheckpointParams } from "../../sdk/train/trainer";
import { experimentsRoot, fitCompleted, tinyLlama } from "./fixtures";

// Four rows whose answers have very different lengths (1 to ~40 target tokens).
const ROWS = [
  { question: "What is 2 plus 2?", answer: "4" },
  { question: "Name a colour.", answer: "The sky on a clear summer day is a deep and lovely blue." },
  { question: "Say yes.", answer: "yes indeed" },
  { question: "Count to five.", answer: "one, two, three, four, five" },
];

async function oneStep(
  batchSize: number,
  gradAccumulation: number,
  gradAccumulationAverage?: "tokens" | "micro_batches",
) {
  const exp = Experiment.create({ name: `acc-${batchSize}x${gradAccumulation}`, root: experimentsRoot() })
    .backbone(await tinyLlama())
    .dataset(Dataset.fromRecords(ROWS).columns({ prompt: "question", answer: "answer" }))
    .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj", "v_proj", "down_proj"] }))
    .train({
      epochs: 1,
      batchSize,
      gradAccumulation,
      gradAccumulationAverage,
      learningRate: 1,
      schedule: "constant",
      // ε = 1 makes AdamW's first update depend on the gradient's size (with a tiny ε it is ≈ lr·sign(g));
      // the small clipping norm is active, so clipping of the accumulated total is part of what is compared.
      adamEpsilon: 1,
      maxGradNorm: 0.5,
    })
    .environment({ seed: 1, threads: 1 });
  const run = await fitCompleted(exp);
  assert.equal(run.step, 1);
  const step = run.history.find((r) => r.type === "step") as StepEvent;
  const { params } = await readCheckpointParams(path.join(run.dir, "checkpoints", "last"));
  return { params, loss: step.loss, gradNorm: step.gradNorm };
}

/** The largest change of the step: LoRA B starts at 0 and LoRA A does not move in the first step (B = 0). */
function stepSize(p: Record<string, Float32Array>): number {
  let m = 0;
  for (const [k, v] of Object.entries(p)) {
    if (!k.includes("lora_B")) continue;
    for (const x of v) m = Math.max(m, Math.abs(x));
  }
  return m;
}

function maxDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  let d = 0;
  for (const k of Object.keys(a)) {
    for (let i = 0; i < a[k].length; i++) d = Math.max(d, Math.abs(a[k][i] - b[k][i]));
  }
  return d;
}

// Measured: batch 2 × 2 and 1 × 4 differ from batch 4 by 5.4e-8 and 5.6e-8 after a step that moves weights by
// 0.068; the mean of micro-batch means differs by 0.0675.
test("an accumulated step equals one batch of the same rows (weights to 1e-6, clipping on the total)", async () => {
  const big = await oneStep(4, 1);
  const size = stepSize(big.params);
  assert.ok(size > 1e-2, `the step must move the weights well above the tolerance (moved ${size})`);
  assert.ok(big.gradNorm > 0.5, `clipping must be active (grad norm ${big.gradNorm})`);
  for (const [b, ga] of [
    [2, 2],
    [1, 4],
  ]) {
    const acc = await oneStep(b, ga);
    const d = maxDiff(acc.params, big.params);
    assert.ok(d < 1e-6, `batch ${b} × ${ga}: weights differ from batch 4 by ${d}`);
    assert.ok(Math.abs(acc.loss - big.loss) < 1e-5 * big.loss, `loss ${acc.loss} vs ${big.loss}`);
    assert.ok(
      Math.abs(acc.gradNorm - big.gradNorm) < 1e-4 * big.gradNorm,
      `${acc.gradNorm} vs ${big.gradNorm}`,
    );
  }
  // The per-micro-batch mean weights a 1-token answer like a 40-token one: a different step.
  const means = await oneStep(1, 4, "micro_batches");
  const d = maxDiff(means.params, big.params);
  assert.ok(d > 1e-3, `micro_batches should differ from one big batch, differs by ${d} (step ${size})`);
});
