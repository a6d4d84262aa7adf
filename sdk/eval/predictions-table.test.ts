import assert from "node:assert/strict";
import { test } from "node:test";
import { Metrics } from "./metrics";
import { buildPredictionsTable, pickSamples } from "./predictions-table";

const prompts = ["q0", "q1", "q2", "q3", "q4"];
const predictions = ["Paris", "the Rome", "It is Berlin", "Madrid", "Oslo"];
const references = ["paris", "Rome", "Berlin", ["Lisbon", "Porto"], "Oslo"];

test("table rows carry texts and every metric's per-row score", async () => {
  const em = await Metrics.qaAccuracy().compute({ predictions, references });
  const contains = await Metrics.qaAccuracy({ mode: "contains" }).compute({ predictions, references });
  const table = buildPredictionsTable({ prompts, predictions, references, results: [em, contains] });
  assert.equal(table.length, 5);
  assert.deepEqual(table[2], {
    index: 2,
    prompt: "q2",
    reference: "Berlin",
    prediction: "It is Berlin",
    scores: { qa_exact_match: 0, qa_contains: 1 },
    explanations: {},
  });
  assert.equal(table[3].reference, "Lisbon | Porto");
  const worst = pickSamples({ rows: table, kind: "worst", metric: "qa_exact_match", n: 2 });
  assert.deepEqual(
    worst.map((r) => r.index),
    [2, 3],
  );
  const best = pickSamples({ rows: table, kind: "best", metric: "qa_exact_match", n: 3 });
  assert.deepEqual(
    best.map((r) => r.index),
    [0, 1, 4],
  );
  // direction "min": a low score is best.
  const lowBest = pickSamples({
    rows: table,
    kind: "best",
    metric: "qa_exact_match",
    direction: "min",
    n: 1,
  });
  assert.equal(lowBest[0].index, 2);
  const r1 = pickSamples({ rows: table, kind: "random", n: 3, seed: 5 });
  const r2 = pickSamples({ rows: table, kind: "random", n: 3, seed: 5 });
  assert.deepEqual(r1, r2);
  assert.equal(new Set(r1.map((r) => r.index)).size, 3);
  assert.throws(() => pickSamples({ rows: table, kind: "best", metric: "nope" }), {
    name: "TunebookMetricInputError",
  });
  assert.throws(() => buildPredictionsTable({ predictions, references: references.slice(1) }), {
    name: "TunebookMetricInputError",
  });
});

test("the source records are kept beside the rendered prompts", () => {
  const data = prompts.map((_, i) => ({ question: `question ${i}`, id: i }));
  const table = buildPredictionsTable({ prompts, data, predictions, references });
  assert.deepEqual(table[1]!.data, { question: "question 1", id: 1 });
  assert.equal(table[1]!.prompt, "q1");
  assert.throws(
    () => buildPredictionsTable({ prompts, data: data.slice(1), predictions, references }),
    /data\.length = 4/,
  );
});
