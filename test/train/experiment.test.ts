/**
 * `Experiment.fit()` end to end on a tiny Llama: LoRA and full fine-tuning learn (loss falls), the experiment
 * folder records config, metrics and checkpoints, validation perplexity is exp(validation loss), the same
 * seed gives bit-identical losses, a cancelled run resumed from its checkpoint ends exactly where an
 * uninterrupted run ends, non-finite losses fail the run cleanly, and invalid settings fail before any work.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Metrics, pickSamples } from "../../sdk/eval";
import { Backbone } from "../../sdk/models";
import { Experiment, LoRAConfig, type Run, type StepEvent } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot, fullAndCancelled, tinyLlama } from "./fixtures";

const losses = (run: Run) => run.history.filter((r) => r.type === "step").map((r) => (r as StepEvent).loss);

async function experiment(root: string, name = "tiny") {
  return Experiment.create({ name, root })
    .backbone(await tinyLlama())
    .dataset(arithmeticDataset())
    .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj", "down_proj"] }))
    .train({ epochs: 3, batchSize: 4, learningRate: 5e-3, evaluationEpochs: 1, warmupEpochs: 0.5 })
    .environment({ seed: 5, threads: 1 })
    .logging({ logEveryNSteps: 1 })
    .metrics(Metrics.perplexity());
}

test("LoRA fit learns and records everything in the experiment folder", async () => {
  const root = experimentsRoot();
  const run = await (await experiment(root)).fit({ display: false });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    assert.equal(run.step, 18); // 24 training rows / 4 per batch = 6 steps per epoch × 3 epochs
    const l = losses(run);
    assert.equal(l.length, 18);
    assert.ok(l.at(-1)! < l[0] * 0.7, `loss should fall: ${l[0]} → ${l.at(-1)}`);
    const evals = run.history.filter((r) => r.type === "eval");
    assert.equal(evals.length, 3);
    for (const e of evals) {
      if (e.type !== "eval") continue;
      assert.ok(Math.abs(e.metrics.perplexity - Math.exp(e.loss)) < 1e-9 * Math.exp(e.loss));
    }
    assert.ok(existsSync(path.join(run.dir, "config.yaml")));
    assert.match(readFileSync(path.join(run.dir, "config.yaml"), "utf8"), /seed: 5/);
    assert.ok(existsSync(path.join(run.dir, "checkpoints", "last", "trainable.safetensors")));
    assert.equal(JSON.parse(readFileSync(path.join(run.dir, "status.json"), "utf8")).status, "completed");
    // Evaluation with teacher forcing reproduces the last validation loss; answers are generated and scored.
    const last = evals.at(-1);
    const ev = await run.evaluate({ metrics: [Metrics.perplexity(), Metrics.qaAccuracy()] });
    assert.ok(last?.type === "eval");
    assert.ok(
      Math.abs(Math.log(ev.metrics.perplexity) - last.loss) < 1e-4,
      `${ev.metrics.perplexity} vs ${last.loss}`,
    );
    assert.equal(ev.rows.length, 8);
    assert.ok(ev.rows.every((r) => r.reference.length > 0 && typeof r.scores.qa_exact_match === "number"));
    const worst = pickSamples({ rows: ev.rows, kind: "worst", metric: "perplexity", direction: "min", n: 2 });
    const best = pickSamples({ rows: ev.rows, kind: "best", metric: "perplexity", direction: "min", n: 2 });
    const all = ev.rows.map((r) => r.scores.perplexity);
    assert.equal(worst[0].scores.perplexity, Math.max(...all)); // perplexity: lower is better
    assert.equal(best[0].scores.perplexity, Math.min(...all));
    assert.equal(pickSamples({ rows: ev.rows, kind: "random", n: 20 }).length, 8);
    const table = readFileSync(path.join(run.dir, "predictions", "validation.csv"), "utf8");
    assert.equal(table.trim().split("\n").length, 9);
    // The backbone now holds the trained adapters: its validation loss differs from a fresh one's.
    const fresh = await Backbone.load(run.backbone.modelDir.dir);
    const ids = [[1, 2, 3, 4, 5]];
    const [a, b] = [await fresh.logits(ids), await run.backbone.logits(ids)];
    assert.ok(a.data.some((v, i) => v !== b.data[i]));
    await fresh.dispose();
  } finally {
    await run.backbone.dispose();
  }
});

test("same seed, same losses bit for bit", async () => {
  const root = experimentsRoot();
  const exp = (await experiment(root)).train({ epochs: 1 });
  const [r1, r2] = [await exp.fit({ display: false }), await exp.fit({ display: false })];
  assert.deepEqual(losses(r1), losses(r2));
  await r1.backbone.dispose();
  await r2.backbone.dispose();
});

test("a cancelled run resumed from its checkpoint ends exactly like an uninterrupted one", async () => {
  const root = experimentsRoot();
  const exp = (await experiment(root)).train({ epochs: 2, gradAccumulation: 2, evaluationEpochs: 0.5 });
  const { full, cut } = await fullAndCancelled(exp, 3);
  assert.equal(cut.step, 3);
  const resumed = await Experiment.resume(cut.dir, {
    dataset: arithmeticDataset(),
    metrics: [Metrics.perplexity()],
  });
  assert.equal(resumed.status, "completed", resumed.error?.message);
  assert.equal(resumed.step, full.step);
  assert.deepEqual(losses(resumed), losses(full));
  for (const r of [full, cut, resumed]) await r.backbone.dispose();
});

test("full fine-tuning (lora false) trains every weight", async () => {
  const root = experimentsRoot();
  const exp = (await experiment(root)).lora(false).train({ epochs: 2, learningRate: 2e-3 });
  const run = await exp.fit({ display: false });
  assert.equal(run.status, "completed", run.error?.message);
  const l = losses(run);
  assert.ok(l.at(-1)! < l[0] * 0.7, `loss should fall: ${l[0]} → ${l.at(-1)}`);
  await run.backbone.dispose();
});

test("a non-finite loss fails the run with a clear message", async () => {
  const root = experimentsRoot();
  const dir = await tinyLlama();
  const backbone = await Backbone.load(dir, {
    lora: { r: 4, alpha: 8, targetModules: ["q_proj"], dropout: 0 },
  });
  const norm = new Float32Array(backbone.config.hiddenSize).fill(Number.NaN);
  await backbone.updateParameters(new Map([["model.norm.weight", norm]]));
  const exp = (await experiment(root))
    .backbone(backbone)
    .lora(new LoRAConfig({ r: 4, alpha: 8, targetModules: ["q_proj"], dropout: 0 }));
  const run = await exp.fit({ display: false });
  assert.equal(run.status, "failed");
  assert.match(run.error?.message ?? "", /loss became NaN at step 1/);
  assert.equal(JSON.parse(readFileSync(path.join(run.dir, "status.json"), "utf8")).status, "failed");
  await backbone.dispose();
});

test("invalid settings fail before any work, naming the field and the range", async () => {
  const exp = Experiment.create({ name: "bad", root: experimentsRoot() })
    .backbone("nowhere")
    .train({ learningRate: 5 });
  assert.throws(
    () => exp.config,
    (e: unknown) =>
      e instanceof ConfigError && /training\.learningRate/.test(e.message) && /1/.test(e.message),
  );
  await assert.rejects(() => exp.fit({ display: false }), ConfigError);
});
