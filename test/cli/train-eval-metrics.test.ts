/**
 * `tunebook train` with `prediction.metric: qa_accuracy` computes QA accuracy at every evaluation and shows it
 * on the evaluation lines beside the loss and perplexity; `tunebook eval` writes eval.csv with the data's own
 * columns beside the rendered prompt.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ExperimentStore } from "../../sdk/train";
import { cliWorkspace, onlyExperiment, tunebook } from "../support/cli-workspace";
import { arithmeticRecords } from "../train/fixtures";

test("train shows the configured generated-text metric on each evaluation line; eval.csv keeps the columns", async () => {
  const records = arithmeticRecords(16);
  const dir = await cliWorkspace({
    records: records.map((r, i) => ({ id: `q${i}`, ...r })),
    settings: {
      "dataset.answer_column": null,
      "dataset.use_chat_template": true,
      "lora.r": 4,
      "lora.target_modules": "[q_proj, v_proj]",
      "training.epochs": 2,
      "training.evaluation_epochs": 1,
      "prediction.metric": "qa_accuracy",
      "prediction.max_new_tokens": 4,
      "environment.seed": 9,
      "logging.name": "qa",
    },
  });
  const train = tunebook(["train", "-c", "exp.yaml"], dir);
  assert.equal(train.code, 0, train.err);
  const evalLines = train.err.split("\n").filter((l) => l.startsWith("eval "));
  assert.equal(evalLines.length, 2, train.err);
  const exp = onlyExperiment(path.join(dir, "runs"));
  const recorded = ExperimentStore.open(exp)
    .readMetrics()
    .flatMap((r) => (r.type === "eval" ? [r] : []));
  for (const [i, line] of evalLines.entries()) {
    const m = recorded[i]!.metrics;
    assert.deepEqual(Object.keys(m), ["qa_exact_match", "perplexity"]);
    assert.match(
      line,
      new RegExp(
        `loss \\d+\\.\\d{4} qa_exact_match ${m.qa_exact_match!.toFixed(4)} perplexity ${m.perplexity!.toFixed(4)}$`,
      ),
    );
  }
  assert.ok(!/not computed|run\.evaluate\(\)/.test(train.err), train.err);
  const ev = tunebook(["eval", exp], dir);
  assert.equal(ev.code, 0, ev.err);
  const csv = fs.readFileSync(path.join(exp, "predictions", "eval.csv"), "utf8").split("\r\n");
  const header = csv[0]!.split(",");
  assert.deepEqual(header.slice(0, 5), ["index", "row", "id", "question", "answer"]);
  assert.ok(
    header.includes("rendered_prompt") && header.includes("prediction") && header.includes("qa_exact_match"),
  );
  const first = csv[1]!;
  const id = first.split(",")[2]!;
  const source = records[Number(id.slice(1))]!;
  assert.ok(
    first.startsWith(`0,${Number(id.slice(1)) + 1},${id},${source.question},${source.answer},`),
    first,
  );
});
