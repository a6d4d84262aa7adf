import assert from "node:assert/strict";
import { test } from "node:test";
import { type Evaluation, predictionRecords } from "./evaluate-model";

test("prediction records put the source columns beside the rendered prompt; a clashing name gets data.", () => {
  const evaluation: Evaluation = {
    metrics: { bleu: 50 },
    directions: { bleu: "max" },
    warnings: [],
    rows: [
      {
        index: 0,
        row: 3,
        data: { prompt: "What is 2+2?", answer: "4", prediction: "x", bleu: "mine", tags: ["a"] },
        prompt: "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
        reference: "4",
        prediction: "4",
        nll: 0.5,
        tokens: 1,
        scores: { perplexity: 1.6, bleu: 100 },
        explanations: {},
      },
    ],
  };
  const [record] = predictionRecords(evaluation);
  assert.deepEqual(Object.keys(record!), [
    "index",
    "row",
    "prompt",
    "answer",
    "data.prediction",
    "data.bleu",
    "tags",
    "rendered_prompt",
    "reference",
    "prediction",
    "nll",
    "tokens",
    "perplexity",
    "bleu",
  ]);
  assert.equal(record!.prompt, "What is 2+2?");
  assert.equal(record!.rendered_prompt, evaluation.rows[0]!.prompt);
  assert.equal(record!["data.prediction"], "x");
  assert.equal(record!.prediction, "4");
  assert.equal(record!.bleu, 100);
});
