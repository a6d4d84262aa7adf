/**
 * `training.packing: true` end to end on the tiny Llama: the fit trains packed rows (fewer steps than samples,
 * loss falls), the step events count the real tokens (an epoch's sum equals the unpacked run's), validation
 * before training gives the unpacked run's loss, and a cancelled packed run resumed from its checkpoint (with
 * gradient accumulation by tokens) ends bit for bit like the uninterrupted one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Metrics } from "../../sdk/eval";
import { Experiment, LoRAConfig, type Run, type StepEvent } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot, fitCompleted, fullAndCancelled, tinyLlama } from "./fixtures";

const steps = (run: Run): StepEvent[] => run.history.flatMap((r) => (r.type === "step" ? [r] : []));
const losses = (run: Run) => steps(run).map((s) => s.loss);

async function experiment(root: string, packing: boolean) {
  return Experiment.create({ name: packing ? "packed" : "unpacked", root })
    .backbone(await tinyLlama())
    .dataset(arithmeticDataset())
    .tokenizer({ maxLength: 128 })
    .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj", "down_proj"] }))
    .train({
      epochs: 3,
      batchSize: 2,
      learningRate: 5e-3,
      warmupEpochs: 0.5,
      packing,
      evaluateBeforeTraining: true,
    })
    .environment({ seed: 5, threads: 1 })
    .logging({ logEveryNSteps: 1 })
    .metrics(Metrics.perplexity());
}

test("a packed fit trains fewer, fuller rows, counts real tokens and learns", async () => {
  const root = experimentsRoot();
  const packed = await fitCompleted((await experiment(root, true)).train({ epochs: 6, learningRate: 1e-2 }));
  const unpacked = await fitCompleted((await experiment(root, false)).train({ epochs: 1 }));
  const perEpoch = steps(unpacked).length; // 24 training samples / 2 per batch
  assert.equal(perEpoch, 12);
  const s = steps(packed);
  assert.equal(s.length % 6, 0);
  const packedPerEpoch = s.length / 6;
  assert.ok(packedPerEpoch < perEpoch / 2, `packed steps per epoch ${packedPerEpoch} vs ${perEpoch}`);
  const epochTokens = (from: StepEvent[]) => from.reduce((n, e) => n + e.tokens, 0);
  const realTokens = epochTokens(steps(unpacked));
  for (let e = 0; e < 6; e++) {
    const tokens = epochTokens(s.slice(e * packedPerEpoch, (e + 1) * packedPerEpoch));
    assert.equal(tokens, realTokens, `epoch ${e}: the real tokens of every sample, no padding`);
  }
  const l = losses(packed);
  assert.ok(
    l.at(-1)! < l[0] * 0.6,
    `loss should fall: ${l[0]} → ${l.at(-1)} (${packedPerEpoch} steps per epoch)`,
  );
  // Validation does not pack: before training, both runs measure the same loss.
  const firstEval = (run: Run) => run.history.find((r) => r.type === "eval")?.loss;
  assert.ok(Math.abs(firstEval(packed)! - firstEval(unpacked)!) <= 1e-6 * firstEval(unpacked)!);
});

test("a cancelled packed run resumed from its checkpoint ends exactly like an uninterrupted one", async () => {
  const root = experimentsRoot();
  const exp = (await experiment(root, true)).train({ epochs: 2, gradAccumulation: 2, evaluationEpochs: 0.5 });
  const { full, cut } = await fullAndCancelled(exp, 2);
  assert.equal(cut.step, 2);
  const resumed = await Experiment.resume(cut.dir, {
    dataset: arithmeticDataset(),
    metrics: [Metrics.perplexity()],
  });
  assert.equal(resumed.status, "completed", resumed.error?.message);
  assert.equal(resumed.step, full.step);
  assert.deepEqual(losses(resumed), losses(full));
  for (const r of [full, cut, resumed]) await r.backbone.dispose();
});
