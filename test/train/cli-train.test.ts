/**
 * The `tunebook` binary end to end on a tiny Llama and a CSV file: `train --config` runs an experiment; a
 * run killed with SIGKILL and continued with `train --resume` records exactly the losses of an uninterrupted
 * run; `export --format merged` writes a Hugging Face folder that loads with the trained model's outputs;
 * `generate` completes a prompt from the experiment folder.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Backbone } from "../../sdk/models";
import { ExperimentStore, loadTrainedBackbone } from "../../sdk/train";
import {
  BIN,
  checkpointStep,
  childEnv,
  cliWorkspace,
  killAfterCheckpoint,
  onlyExperiment,
  RESUMABLE_SETTINGS,
  stepLosses,
  tunebook,
} from "../support/cli-workspace";
import { arithmeticRecords, experimentsRoot } from "./fixtures";

const workspace = () =>
  cliWorkspace({
    settings: { ...RESUMABLE_SETTINGS, "logging.name": "cli" },
    records: arithmeticRecords(48),
  });

test("train, SIGKILL, resume: the same losses as an uninterrupted run; then eval, export, serve, generate", {
  timeout: 300_000,
}, async () => {
  const dir = await workspace();
  const full = tunebook(["train", "--config", "exp.yaml", "--set", "logging.output_dir=full"], dir);
  assert.equal(full.code, 0, full.err);
  assert.match(full.out, /completed after 18 steps/);
  const fullDir = onlyExperiment(path.join(dir, "full"));

  const child = spawn(process.execPath, [BIN, "train", "--config", "exp.yaml"], {
    cwd: dir,
    env: childEnv(),
  });
  const killedDir = await killAfterCheckpoint(child, path.join(dir, "runs"), 6);
  assert.ok(checkpointStep(killedDir) < 18, "killed before the end");
  const resumed = tunebook(["train", "--resume", killedDir], dir);
  assert.equal(resumed.code, 0, resumed.err);
  assert.deepEqual(stepLosses(killedDir), stepLosses(fullDir));

  const out = path.join(dir, "merged");
  const exported = tunebook(["export", fullDir, "--output", out, "--format", "merged"], dir);
  assert.equal(exported.code, 0, exported.err);
  assert.match(fs.readFileSync(path.join(out, "README.md"), "utf8"), /learning_rate/);
  const [merged, trained] = [await Backbone.load(out), await loadTrainedBackbone(fullDir)];
  const ids = [[5, 6, 7, 8, 9, 10]];
  const [a, b] = [await merged.logits(ids), await trained.logits(ids)];
  assert.ok(a.data.every((v, i) => Math.abs(v - b.data[i]) < 1e-4));
  await merged.dispose();
  await trained.dispose();

  const scored = tunebook(["eval", fullDir], dir);
  assert.equal(scored.code, 0, scored.err);
  const perplexity = Number(/^perplexity\t(\S+)$/m.exec(scored.out)?.[1]);
  const lastEval = ExperimentStore.open(fullDir)
    .readMetrics()
    .filter((r) => r.type === "eval")
    .at(-1);
  assert.ok(lastEval?.type === "eval");
  // Evaluated from the best checkpoint (lowest validation loss), so at most the last evaluation's value.
  assert.ok(Math.log(perplexity) <= lastEval.loss + 1e-4, `${perplexity} vs ${Math.exp(lastEval.loss)}`);
  assert.ok(fs.existsSync(path.join(fullDir, "predictions", "eval.csv")));

  const server = spawn(process.execPath, [BIN, "serve", fullDir, "--port", "0"], {
    cwd: dir,
    env: childEnv(),
  });
  const baseURL = await new Promise<string>((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = / at (http\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  const models = (await (await fetch(`${baseURL}/models`)).json()) as { data: { id: string }[] };
  assert.equal(models.data.length, 1);
  server.kill("SIGINT");
  await new Promise((r) => server.once("exit", r));

  const generated = tunebook(["generate", fullDir, "--prompt", "What is 2 plus 3?", "-n", "4"], dir);
  assert.equal(generated.code, 0, generated.err);
  assert.ok(generated.out.length > 1);
});

test("train with neither --config nor --resume exits 1 with a clear message", () => {
  const r = tunebook(["train"], experimentsRoot());
  assert.equal(r.code, 1);
  assert.match(r.err, /exactly one of --config <file> or --resume <experiment>/);
});
