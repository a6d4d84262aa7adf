import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { Dataset } from "../sdk/data";
import { Metrics } from "../sdk/eval";
import { dispatchEvent, Experiment, LoRAConfig } from "../sdk/train";
import { plotlyFigure } from "./chart";
import { ProgressBar } from "./progress-bar";
import { notebookTrainingView } from "./training-view";

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (b) => chunks.push(String(b)));
  return { stream, text: () => chunks.join("") };
}

test("outside a kernel the training view prints throttled text and always the final state", async () => {
  const out = capture();
  const view = notebookTrainingView({
    output: out.stream,
    progressIntervalMs: 60_000,
    chartIntervalMs: 60_000,
  });
  for (let step = 1; step <= 100; step++) {
    await dispatchEvent([view], {
      type: "step",
      step,
      totalSteps: 100,
      epoch: step / 50,
      loss: 10 / step,
      learningRate: 2e-4,
      gradNorm: 1,
      tokens: 64,
      tokensPerSecond: 5000,
      elapsedSeconds: step / 10,
    });
  }
  await dispatchEvent([view], { type: "eval", step: 100, epoch: 2, loss: 0.2, metrics: { bleu: 31.5 } });
  await dispatchEvent([view], { type: "done", status: "completed", step: 100, loss: 0.1 });
  const lines = out
    .text()
    .split("\n")
    .filter((l) => l.startsWith("Training ["));
  // One render at the first step, then the final one: the interval swallowed everything between.
  assert.equal(lines.length, 2, out.text());
  assert.match(
    lines[0]!,
    /1\/100 1% \| epoch 0\.02 \| loss 10 \| lr 2e-4 \| tok\/s 5000 \| time 0:00 < 0:10/,
  );
  assert.match(lines[1]!, /\[####################\] 100\/100 100% .*loss 0\.1 .*\[completed\]/);
  assert.match(out.text(), /validation loss: last 0\.2 @ 100/);
  assert.match(out.text(), /bleu: last 31\.5 @ 100/);
  const s = view.series();
  assert.deepEqual(s.find((x) => x.name === "train loss")!.y.slice(0, 3), [10, 5, 10 / 3]);
});

test("series are thinned to at most maxPoints, keeping the first step", async () => {
  const view = notebookTrainingView({ output: new PassThrough(), charts: false, maxPoints: 10 });
  for (let step = 1; step <= 1000; step++) {
    await view.onStep!({
      type: "step",
      step,
      totalSteps: 1000,
      epoch: 1,
      loss: step,
      learningRate: 1,
      gradNorm: 1,
      tokens: 64,
      tokensPerSecond: 1,
      elapsedSeconds: 1,
    });
  }
  const train = view.series().find((x) => x.name === "train loss")!;
  assert.ok(train.x.length <= 10 && train.x.length >= 5, String(train.x.length));
  assert.equal(train.x[0], 1);
  assert.deepEqual(train.x, train.y);
});

test("ProgressBar's ETA is elapsed / step × remaining steps", () => {
  const out = capture();
  const bar = new ProgressBar({ output: out.stream, title: "eta" });
  bar.update({ step: 25, totalSteps: 100, elapsedSeconds: 50 });
  bar.finish({ status: "cancelled" });
  assert.match(out.text(), /25\/100 25% \| time 0:50 < 2:30/);
  assert.match(out.text(), /\[cancelled\]/);
});

test("a warning log event stays in the output after later steps replace the progress note", async () => {
  const out = capture();
  const view = notebookTrainingView({ output: out.stream, charts: false, progressIntervalMs: 60_000 });
  const step = (n: number) =>
    dispatchEvent([view], {
      type: "step",
      step: n,
      totalSteps: 3,
      epoch: n / 3,
      loss: 1,
      learningRate: 1e-3,
      gradNorm: 1,
      tokens: 64,
      tokensPerSecond: 1,
      elapsedSeconds: n,
    });
  await dispatchEvent([view], { type: "log", level: "warn", message: "1 of 8 examples were truncated" });
  for (const n of [1, 2, 3]) await step(n);
  await dispatchEvent([view], { type: "done", status: "completed", step: 3, loss: 1 });
  assert.match(out.text(), /^warn: 1 of 8 examples were truncated$/m);
});

test("perplexity is drawn on a log axis: the metric declares it, the trainer's eval events carry it", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "tunebook-view-"));
  try {
    const view = notebookTrainingView({ mode: "text", output: new PassThrough(), chartIntervalMs: 60_000 });
    assert.equal(Metrics.perplexity().scale, "log");
    assert.equal(Metrics.bleu().scale, undefined);
    const run = await Experiment.create({ name: "scales", root })
      .backbone("assets/tiny-llama")
      .dataset(
        Dataset.fromRecords(
          Array.from({ length: 12 }, (_, i) => ({ prompt: `How is 'w${i}' pronounced?`, answer: `W ${i}` })),
        )
          .columns({ prompt: "prompt", answer: "answer" })
          .validation({ size: 0.25, seed: 1 }),
      )
      .lora(new LoRAConfig({ r: 2, alpha: 4, targetModules: ["q_proj"] }))
      .train({ epochs: 1, batchSize: 3, learningRate: 1e-3, evaluationEpochs: 1 })
      .metrics(Metrics.perplexity())
      .fit({ display: false, callbacks: [view] });
    await run.backbone.dispose();
    assert.equal(run.status, "completed", run.error?.message);
    const evals = readFileSync(path.join(run.dir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.type === "eval");
    assert.ok(evals.length > 0);
    for (const e of evals) assert.deepEqual(e.scales, { perplexity: "log" });

    assert.deepEqual(view.chartSpec().panels, ["loss", "learning rate", "perplexity (log scale)"]);
    // A metric that declares no scale (BLEU) is drawn in the shared, linear "metrics" panel.
    await dispatchEvent([view], { type: "eval", step: 4, epoch: 1, loss: 1, metrics: { bleu: 20 } });
    const spec = view.chartSpec();
    assert.deepEqual(spec.panels, ["loss", "learning rate", "perplexity (log scale)", "metrics"]);
    const { data, layout } = plotlyFigure(spec);
    const axisOf = (name: string) => {
      const trace = data.find((d) => (d as { name: string }).name === name) as { yaxis: string };
      return layout[trace.yaxis === "y" ? "yaxis" : `yaxis${trace.yaxis.slice(1)}`] as { type: string };
    };
    assert.equal(axisOf("perplexity").type, "log");
    assert.equal(axisOf("bleu").type, "linear");
    assert.equal(axisOf("train loss").type, "linear");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a GRPO run's reward is drawn in a panel beside the loss, per step and per evaluation", async () => {
  const out = capture();
  const view = notebookTrainingView({
    output: out.stream,
    progressIntervalMs: 60_000,
    chartIntervalMs: 60_000,
  });
  await dispatchEvent([view], { type: "eval", step: 0, epoch: 0, loss: -0.3, metrics: { reward: 0.3 } });
  for (let step = 1; step <= 3; step++) {
    await dispatchEvent([view], {
      type: "step",
      step,
      totalSteps: 3,
      epoch: step / 3,
      loss: 0,
      learningRate: 1e-2,
      gradNorm: 1,
      tokens: 64,
      tokensPerSecond: 500,
      elapsedSeconds: step,
      metrics: { reward: 0.2 * step, completion_length: 8, generation_seconds: 0.4 },
    });
  }
  await dispatchEvent([view], { type: "eval", step: 3, epoch: 1, loss: -0.9, metrics: { reward: 0.9 } });
  const spec = view.chartSpec();
  assert.deepEqual(spec.panels, ["loss", "reward", "learning rate", "metrics"]);
  const reward = spec.series.filter((s) => s.panel === "reward");
  assert.deepEqual(
    reward.map((s) => [s.name, s.y]),
    [
      ["train reward", [0.2, 0.4, 0.6000000000000001]],
      ["validation reward", [0.3, 0.9]],
    ],
  );
  assert.ok(!spec.series.some((s) => s.name.includes("seconds")), "timings are not charted");
  assert.ok(spec.series.some((s) => s.name === "train completion_length" && s.panel === "metrics"));
});
