import assert from "node:assert/strict";
import { test } from "node:test";
import { isBetter } from "./metric";
import { Metrics } from "./metrics";
import { corpusBleu, sentenceBleu } from "./text/bleu";

test("every metric declares a direction and isBetter follows it", async () => {
  const directions = {
    bleu: Metrics.bleu().direction,
    perplexity: Metrics.perplexity().direction,
    qa: Metrics.qaAccuracy().direction,
    accuracy: Metrics.accuracy().direction,
    auc: Metrics.auc().direction,
    logLoss: Metrics.logLoss().direction,
    mse: Metrics.mse().direction,
    mae: Metrics.mae().direction,
  };
  assert.deepEqual(directions, {
    bleu: "max",
    perplexity: "min",
    qa: "max",
    accuracy: "max",
    auc: "max",
    logLoss: "min",
    mse: "min",
    mae: "min",
  });
  assert.equal(isBetter(Metrics.perplexity(), 2, 3), true);
  assert.equal(isBetter(Metrics.bleu(), 2, 3), false);
  assert.equal(isBetter("max", 3, 3), false);
  assert.equal(isBetter("min", Number.NaN, 3), false);
  assert.equal(isBetter("min", 3, Number.NaN), true);
});

test("metric objects return the plain functions' values with per-row scores", async () => {
  const predictions = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
  const references = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."];
  const corpus = await Metrics.bleu().compute({ predictions, references });
  assert.equal(corpus.value, corpusBleu({ predictions, references }).score);
  assert.equal(
    corpus.perRow?.[1],
    sentenceBleu({ prediction: predictions[1], references: references[1] }).score,
  );
  const sm = await Metrics.bleu({ mode: "sentence-mean" }).compute({ predictions, references });
  assert.ok(Math.abs(sm.value - (corpus.perRow ?? []).reduce((a, b) => a + b, 0) / 3) < 1e-12);
  assert.notEqual(sm.value, corpus.value);
  const ll = await Metrics.logLoss().compute({ yTrue: [0, 1], yScore: [0.2, 0.7] });
  assert.ok(Math.abs(ll.value - -(Math.log(0.8) + Math.log(0.7)) / 2) < 1e-15);
  const qa = await Metrics.qaAccuracy({ mode: "contains" }).compute({
    predictions: ["It is Paris."],
    references: ["paris"],
  });
  assert.deepEqual([qa.name, qa.value, qa.warnings], ["qa_contains", 1, []]);
  const mse = await Metrics.mse().compute({ yTrue: [1, 2], yPred: [1, 4] });
  assert.deepEqual(mse.perRow, [0, 4]);
  assert.throws(() => Metrics.bleu({ mode: "median" as never }), { name: "TunebookConfigError" });
});
