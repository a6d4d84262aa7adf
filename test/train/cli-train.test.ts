/**
 * The `tunebook` binary end to end on a tiny Llama and a CSV file: `train --config` runs an experiment; a
 * run killed with SIGKILL and continued with `train --resume` records exactly the losses of an uninterrupted
 * run; `export --format merged` writes a Hugging Face folder that loads with the trained model's outputs;
 * `generate` completes a prompt from the experiment folder.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Backbone } from "../../sdk/models";
import { ExperimentStore, loadTrainedBackbone, type StepEvent } from "../../sdk/train";
import { arithmeticRecords, experimentsRoot, tinyLlama } from "./fixtures";

const BIN = path.resolve("dist/sdk/cli/main.js");

function tunebook(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: childEnv() });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function childEnv() {
  return { ...process.env, OMP_WAIT_POLICY: "PASSIVE" };
}

async function workspace(): Promise<string> {
  const dir = experimentsRoot();
  const rows = arithmeticRecords(48).map((r) => `"${r.question}",${r.answer}`);
  fs.writeFileSync(path.join(dir, "train.csv"), `question,answer\n${rows.join("\n")}\n`);
  const config = [
    "architecture:",
    `  backbone: ${await tinyLlama()}`,
    "dataset:",
    "  train_file: train.csv",
    "  prompt_column: question",
    "  answer_column: answer",
    "  validation_size: 0.25",
    "lora:",
    "  r: 4",
    "  alpha: 8",
    "  target_modules: [q_proj, v_proj]",
    "training:",
    "  epochs: 2",
    "  batch_size: 4",
    "  learning_rate: 0.005",
    "  evaluation_epochs: 0.25",
    "environment:",
    "  seed: 9",
    "  threads: 1",
    "logging:",
    "  name: cli",
    "  output_dir: runs",
    "  log_every_n_steps: 1",
  ];
  fs.writeFileSync(path.join(dir, "exp.yaml"), `${config.join("\n")}\n`);
  return dir;
}

function onlyExperiment(root: string): string {
  const entries = fs.readdirSync(root);
  assert.equal(entries.length, 1, `expected one experiment in ${root}, found ${entries.join(", ")}`);
  return path.join(root, entries[0]);
}

const stepLosses = (dir: string) =>
  ExperimentStore.open(dir)
    .readMetrics()
    .filter((r) => r.type === "step")
    .map((r) => [r.step, (r as StepEvent).loss]);

function checkpointStep(dir: string): number {
  try {
    const file = path.join(dir, "checkpoints", "last", "trainer-state.json");
    return JSON.parse(fs.readFileSync(file, "utf8")).step;
  } catch {
    return 0;
  }
}

async function killAfterCheckpoint(child: ChildProcess, runs: string, minStep: number): Promise<string> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const entries = fs.existsSync(runs) ? fs.readdirSync(runs) : [];
    if (entries.length === 1 && checkpointStep(path.join(runs, entries[0])) >= minStep) {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      return path.join(runs, entries[0]);
    }
    if (child.exitCode !== null) throw new Error("the run ended before it could be killed");
  }
}

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
