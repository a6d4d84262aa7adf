import assert from "node:assert/strict";
import { test } from "node:test";
import { Metrics } from "../../eval";
import { parseExperimentConfig } from "../config";
import { scoreMetricValues, scoreOutputs } from "./score-metrics";
import { checkClassification, classificationSettings, regressionSettings } from "./score-settings";

const config = (input: Record<string, unknown>) =>
  parseExperimentConfig({ architecture: { backbone: "m" }, ...input }, { keyStyle: "snake", source: "test" });

test("answer_column and num_classes give H2O's binary, multi-class and multi-label kinds, with their default losses", () => {
  const binary = classificationSettings(
    config({ problem_type: "causal_classification", dataset: { answer_column: "y" } }),
  );
  assert.deepEqual(binary, { kind: "binary", columns: ["y"], outputs: 1, loss: "BinaryCrossEntropyLoss" });
  const multi = config({
    problem_type: "causal_classification",
    dataset: { answer_column: "y", num_classes: 4 },
  });
  assert.deepEqual(classificationSettings(multi), {
    kind: "multiclass",
    columns: ["y"],
    outputs: 4,
    loss: "CrossEntropyLoss",
  });
  const labels = config({
    problem_type: "causal_classification",
    dataset: { answer_column: ["a", "b", "c"], num_classes: 3 },
  });
  assert.equal(classificationSettings(labels).kind, "multilabel");
  assert.deepEqual(checkClassification(labels), []);
  const wrong = config({
    problem_type: "causal_classification",
    dataset: { answer_column: ["a", "b"], num_classes: 3 },
    training: { loss_function: "CrossEntropyLoss" },
  });
  assert.deepEqual(
    checkClassification(wrong).map((i) => i.path.join(".")),
    ["training.loss_function", "dataset.num_classes"],
  );
  const reg = config({
    problem_type: "causal_regression",
    dataset: { answer_column: ["x", "y"] },
    training: { loss_function: "MAELoss" },
  });
  assert.deepEqual(regressionSettings(reg), {
    kind: "regression",
    columns: ["x", "y"],
    outputs: 2,
    loss: "MAELoss",
  });
});

test("multi-class metrics use the softmax over classes; multi-label metrics average the label columns", async () => {
  const multi = { kind: "multiclass", columns: ["y"], outputs: 3, loss: "CrossEntropyLoss" } as const;
  const outputs = scoreOutputs(Float32Array.of(3, 0, 0, 0, 3, 0, 0, 0, 3, 3, 0, 0), multi);
  assert.ok(Math.abs(outputs[0] + outputs[1] + outputs[2] - 1) < 1e-6);
  const r = await scoreMetricValues({
    outputs,
    labels: Float32Array.of(0, 1, 2, 1),
    settings: multi,
    metrics: [Metrics.accuracy()],
  });
  assert.equal(r.metrics.accuracy, 0.75);
  const ml = { kind: "multilabel", columns: ["a", "b"], outputs: 2, loss: "BinaryCrossEntropyLoss" } as const;
  const probs = Float32Array.of(0.9, 0.2, 0.1, 0.8, 0.7, 0.6);
  const m = await scoreMetricValues({
    outputs: probs,
    labels: Float32Array.of(1, 0, 0, 1, 0, 1),
    settings: ml,
    metrics: [Metrics.accuracy(), Metrics.auc({ labels: [0, 1] })],
  });
  assert.ok(Math.abs(m.metrics.accuracy - (2 / 3 + 1) / 2) < 1e-9, String(m.metrics.accuracy)); // column a: 2/3, b: 3/3
  assert.equal(m.metrics.auc, 1); // each column's positives score above its negatives (a: 0.9 vs 0.1, 0.7)
});
