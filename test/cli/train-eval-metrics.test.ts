/**
 * `tunebook train` with `prediction.metric: qa_accuracy` computes QA accuracy at every evaluation and shows it
 * on the evaluation lines beside the loss and perplexity; `tunebook eval` writes eval.csv with the data's own
 * columns beside the rendered prompt.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ExperimentStore } from "../../sdk/train";
import { arithmeticRecords, experimentsRoot, tinyLlama } from "../train/fixtures";

const BIN = path.resolve("dist/sdk/cli/main.js");

function tunebook(args: string[], cwd: string) {
  const env = { ...process.env, OMP_WAIT_POLICY: "PASSIVE" };
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("train shows the configured generated-text metric on each evaluation line; eval.csv keeps the columns", async () => {
  const dir = experimentsRoot();
  const records = arithmeticRecords(16);
  const rows = records.map((r, i) => `q${i},"${r.question}",${r.answer}`);
  fs.writeFileSync(path.join(dir, "train.csv"), `id,question,answer\n${rows.join("\n")}\n`);
  const config = [
    "architecture:",
    `  backbone: ${await tinyLlama()}`,
    "dataset:",
    "  train_file: train.csv",
    "  prompt_column: question",
    "  validation_size: 0.25",
    "  use_chat_template: true",
    "lora:",
    "  r: 4",
    "  target_modules: [q_proj, v_proj]",
    "training:",
    "  epochs: 2",
    "  batch_size: 4",
    "  evaluation_epochs: 1",
    "prediction:",
    "  metric: qa_accuracy",
    "  max_new_tokens: 4",
    "environment:",
    "  seed: 9",
    "  threads: 1",
    "logging:",
    "  name: qa",
    "  output_dir: runs",
  ];
  fs.writeFileSync(path.join(dir, "exp.yaml"), `${config.join("\n")}\n`);
  const train = tunebook(["train", "-c", "exp.yaml"], dir);
  assert.equal(train.code, 0, train.err);
  const evalLines = train.err.split("\n").filter((l) => l.startsWith("eval "));
  assert.equal(evalLines.length, 2, train.err);
  const [folder] = fs.readdirSync(path.join(dir, "runs"));
  const exp = path.join(dir, "runs", folder!);
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
