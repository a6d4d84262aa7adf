/**
 * Metrics that score generated answers (QA accuracy, BLEU) are computed at every evaluation during training:
 * they are in the `eval` events and metrics.jsonl, pick the best checkpoint, and equal the metric recomputed
 * from that evaluation's generations (predictions/validation.csv, which keeps the source columns beside the
 * rendered prompt).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Dataset } from "../../sdk/data";
import { Metrics } from "../../sdk/eval";
import { type EvalEvent, Experiment, LoRAConfig } from "../../sdk/train";
import { experimentsRoot, tinyLlama } from "./fixtures";

/** SQuAD v1.1's answer normalisation, written out here as the independent reference. */
const normalize = (s: string) =>
  s
    .toLowerCase()
    .replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, "")
    .replace(/\b(a|an|the)\b/g, " ")
    .split(/\s+/)
    .filter(Boolean)
    .join(" ");

/** A learnable task: the answer is always the same sentence. */
function yesData(): Dataset {
  const records = Array.from({ length: 32 }, (_, i) => ({
    id: `q${i}`,
    question: `Is ${i % 8} plus ${Math.floor(i / 8) + 1} more than zero?`,
    answer: "yes it is more than zero",
  }));
  return Dataset.fromRecords(records)
    .columns({ prompt: "question", answer: "answer" })
    .validation({ size: 0.25, seed: 3 });
}

test("QA accuracy and BLEU are computed at each evaluation from that evaluation's generations", async () => {
  const root = experimentsRoot();
  const seen: { event: EvalEvent; csv: Record<string, unknown>[] }[] = [];
  const exp = Experiment.create({ name: "gen", root })
    .backbone(await tinyLlama())
    .dataset(yesData(), { useChatTemplate: true })
    .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj", "v_proj", "down_proj"] }))
    .train({
      epochs: 8,
      batchSize: 4,
      learningRate: 1e-2,
      evaluationEpochs: 2,
      evaluateBeforeTraining: true,
      saveCheckpoint: "best",
    })
    .prediction({ maxNewTokens: 24 })
    .environment({ seed: 5, threads: 1 })
    .metrics(Metrics.qaAccuracy(), Metrics.bleu(), Metrics.perplexity());
  const run = await exp.fit({
    display: false,
    callbacks: [
      {
        onEval: async (event) => {
          const file = path.join(root, readdirSync(root)[0]!, "predictions", "validation.csv");
          seen.push({ event, csv: [...(await Dataset.fromCsv(file)).records] });
        },
      },
    ],
  });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    assert.equal(seen.length, 5); // before training, then every 2 of the 8 epochs
    const sources = new Map(yesData().records.map((r) => [r.id as string, r]));
    for (const { event, csv } of seen) {
      assert.deepEqual(Object.keys(event.metrics), ["qa_exact_match", "bleu", "perplexity"]);
      assert.equal(csv.length, 8);
      for (const row of csv) {
        // The user's columns, as in the source data, beside the prompt the model saw.
        const source = sources.get(String(row.id))!;
        assert.equal(row.question, source.question);
        assert.equal(row.answer, source.answer);
        assert.notEqual(row.rendered_prompt, row.question);
        assert.ok(String(row.rendered_prompt).includes(String(row.question)), String(row.rendered_prompt));
      }
      const predictions = csv.map((r) => String(r.prediction ?? ""));
      const references = csv.map((r) => String(r.answer));
      const exact =
        predictions.filter((p, i) => normalize(p) === normalize(references[i]!)).length / csv.length;
      assert.ok(
        Math.abs(event.metrics.qa_exact_match! - exact) < 1e-12,
        `${event.metrics.qa_exact_match} vs ${exact}`,
      );
      const bleu = await Metrics.bleu().compute({ predictions, references });
      assert.ok(Math.abs(event.metrics.bleu! - bleu.value) < 1e-9, `${event.metrics.bleu} vs ${bleu.value}`);
    }
    const qa = seen.map((s) => s.event.metrics.qa_exact_match!);
    const bleu = seen.map((s) => s.event.metrics.bleu!);
    assert.ok(Math.max(...qa) > qa[0]!, `training should improve QA accuracy: ${qa}`);
    assert.ok(Math.max(...bleu) > bleu[0]!, `training should improve BLEU: ${bleu}`);
    // The first metric picks the best checkpoint.
    const bestAt = seen[qa.indexOf(Math.max(...qa))]!.event.step;
    assert.deepEqual(run.best, { metric: "qa_exact_match", value: Math.max(...qa), step: bestAt });
    const recorded = run.history.filter((r) => r.type === "eval");
    assert.deepEqual(
      recorded.map((r) => r.type === "eval" && r.metrics),
      seen.map((s) => s.event.metrics),
    );
  } finally {
    await run.backbone.dispose();
  }
});

test("a generated-text metric that fails costs that evaluation the metric, with a warning, not the run", async () => {
  const root = experimentsRoot();
  const failing = {
    name: "house_metric",
    direction: "max" as const,
    compute: async (): Promise<{ value: number }> => {
      throw new Error("the scoring service is down");
    },
  };
  const warnings: string[] = [];
  const evals: EvalEvent[] = [];
  const run = await Experiment.create({ name: "failing", root })
    .backbone(await tinyLlama())
    .dataset(yesData())
    .lora(new LoRAConfig({ r: 4, alpha: 8, targetModules: ["q_proj"] }))
    .train({ epochs: 1, batchSize: 8, evaluationEpochs: 1 })
    .prediction({ maxNewTokens: 2 })
    .environment({ seed: 5, threads: 1 })
    .metrics(Metrics.perplexity(), failing)
    .fit({
      display: false,
      callbacks: [
        {
          onLog: (e) => void (e.level === "warn" && warnings.push(e.message)),
          onEval: (e) => void evals.push(e),
        },
      ],
    });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    assert.equal(evals.length, 1);
    assert.deepEqual(Object.keys(evals[0]!.metrics), ["perplexity"]);
    assert.deepEqual(warnings, [
      `metrics 'house_metric' were not computed at step ${run.step}: the scoring service is down`,
    ]);
  } finally {
    await run.backbone.dispose();
  }
});

test("a run resumed with another first metric ranks its best checkpoint by that metric", async () => {
  const root = experimentsRoot();
  const controller = new AbortController();
  const cut = await Experiment.create({ name: "rerank", root })
    .backbone(await tinyLlama())
    .dataset(yesData())
    .lora(new LoRAConfig({ r: 4, alpha: 8, targetModules: ["q_proj"] }))
    .train({ epochs: 2, batchSize: 8, evaluationEpochs: 1, saveCheckpoint: "best" })
    .prediction({ maxNewTokens: 2 })
    .environment({ seed: 5, threads: 1 })
    .metrics(Metrics.qaAccuracy())
    .fit({ display: false, signal: controller.signal, callbacks: [{ onEval: () => controller.abort() }] });
  await cut.backbone.dispose();
  assert.equal(cut.status, "cancelled");
  assert.equal(cut.best?.metric, "qa_exact_match");
  const resumed = await Experiment.resume(cut.dir, { dataset: yesData(), metrics: [Metrics.perplexity()] });
  try {
    assert.equal(resumed.status, "completed", resumed.error?.message);
    const last = resumed.history.filter((r) => r.type === "eval").at(-1);
    assert.ok(last?.type === "eval");
    assert.deepEqual(resumed.best, {
      metric: "perplexity",
      value: last.metrics.perplexity,
      step: resumed.step,
    });
  } finally {
    await resumed.backbone.dispose();
  }
});

test("prediction.metric_sample scores the same share of the validation rows at every evaluation", async () => {
  const root = experimentsRoot();
  const ids: string[][] = [];
  const exp = Experiment.create({ name: "sample", root })
    .backbone(await tinyLlama())
    .dataset(yesData(), { useChatTemplate: true })
    .lora(new LoRAConfig({ r: 4, alpha: 8, targetModules: ["q_proj", "v_proj"] }))
    .train({ epochs: 2, batchSize: 4, learningRate: 1e-2, evaluationEpochs: 1, saveCheckpoint: "disable" })
    .prediction({ maxNewTokens: 4, metricSample: 0.5 })
    .environment({ seed: 5, threads: 1 })
    .metrics(Metrics.qaAccuracy());
  const run = await exp.fit({
    display: false,
    callbacks: [
      {
        onEval: async () => {
          const file = path.join(root, readdirSync(root)[0]!, "predictions", "validation.csv");
          ids.push([...(await Dataset.fromCsv(file)).records].map((r) => String(r.id)));
        },
      },
    ],
  });
  await run.backbone.dispose();
  assert.equal(run.status, "completed", run.error?.message);
  assert.equal(ids.length, 2);
  assert.equal(ids[0].length, 4); // half of the 8 validation rows
  assert.deepEqual(ids[1], ids[0]);
  assert.equal(new Set(ids[0]).size, 4);
});
