/**
 * A data or configuration error found before training leaves no experiment folder behind: a missing training
 * file or a column the data does not have fails `fit()` and `tunebook train` with a clear error, and a run that
 * fails before its first step (here: LoRA on modules the model lacks) removes the folder it made.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Experiment } from "../../sdk/train";
import { arithmeticRecords, experimentsRoot, tinyLlama } from "./fixtures";

const BIN = path.resolve("dist/sdk/cli/main.js");

async function workspace(): Promise<{ dir: string; model: string }> {
  const dir = experimentsRoot();
  const rows = arithmeticRecords(16).map((r) => `"${r.question}",${r.answer}`);
  fs.writeFileSync(path.join(dir, "train.csv"), `question,answer\n${rows.join("\n")}\n`);
  return { dir, model: await tinyLlama() };
}

const config = (model: string, root: string, dataset: Record<string, unknown>) => ({
  architecture: { backbone: model },
  dataset: { promptColumn: "question", answerColumn: "answer", ...dataset },
  training: { epochs: 1 },
  logging: { outputDir: root },
});

test("fit with a missing data file or column throws and creates no folder", async () => {
  const { dir, model } = await workspace();
  const root = path.join(dir, "runs");
  await assert.rejects(
    Experiment.fromConfig(config(model, root, { trainFile: path.join(dir, "nope.csv") })).fit({
      display: false,
    }),
    (e: unknown) =>
      e instanceof ConfigError && /dataset\.train_file: expected an existing file/.test(e.message),
  );
  await assert.rejects(
    Experiment.fromConfig(
      config(model, root, { trainFile: path.join(dir, "train.csv"), promptColumn: "questoin" }),
    ).fit({ display: false }),
    (e: Error) => /questoin/.test(e.message),
  );
  assert.deepEqual(fs.existsSync(root) ? fs.readdirSync(root) : [], []);
});

test("tunebook train with a column the data lacks exits 1 and leaves no folder", async () => {
  const { dir, model } = await workspace();
  const yaml = [
    `architecture:\n  backbone: ${model}`,
    "dataset:\n  train_file: train.csv\n  prompt_column: question\n  answer_column: answer",
    "training:\n  epochs: 1",
    "logging:\n  output_dir: runs",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "exp.yaml"), `${yaml}\n`);
  const r = spawnSync(
    process.execPath,
    [BIN, "train", "-c", "exp.yaml", "--set", "dataset.answer_column=respuesta"],
    { cwd: dir, encoding: "utf8" },
  );
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /respuesta/);
  const runs = path.join(dir, "runs");
  assert.deepEqual(fs.existsSync(runs) ? fs.readdirSync(runs) : [], []);
});

test("a run that fails before its first step removes its folder", async () => {
  const { dir, model } = await workspace();
  const root = path.join(dir, "runs");
  const exp = Experiment.fromConfig({
    ...config(model, root, { trainFile: path.join(dir, "train.csv") }),
    lora: { targetModules: ["foo_proj"] },
  });
  await assert.rejects(exp.fit({ display: false }), /nothing to train|foo_proj/);
  assert.deepEqual(fs.existsSync(root) ? fs.readdirSync(root) : [], []);
});
