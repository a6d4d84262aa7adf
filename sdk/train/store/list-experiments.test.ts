import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { applyOverrides, parseExperimentConfig } from "../config";
import { compareExperiments } from "./compare-experiments";
import { ExperimentStore } from "./experiment-store";
import { listExperiments } from "./list-experiments";

async function makeRoot(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-list-"));
  const base = parseExperimentConfig({ architecture: { backbone: "./tiny" } });
  const runs = [
    { lr: "1e-4", evals: [2.5, 2.1, 2.3], status: "completed" as const },
    { lr: "3e-4", evals: [2.4], status: "failed" as const },
  ];
  for (const [i, run] of runs.entries()) {
    const config = applyOverrides(base, [`training.learning_rate=${run.lr}`]);
    const store = await ExperimentStore.create({
      root,
      name: `run${i}`,
      config,
      now: new Date(2025, 0, 1, i),
    });
    store.appendMetrics(
      run.evals.map((loss, k) => ({
        type: "eval" as const,
        step: k + 1,
        epoch: k + 1,
        loss,
        metrics: { perplexity: Math.exp(loss) },
      })),
    );
    store.appendMetrics([
      {
        type: "step",
        step: 3,
        totalSteps: 9,
        epoch: 1,
        loss: 1.9,
        learningRate: 1e-4,
        gradNorm: 1,
        tokens: 64,
        tokensPerSecond: 1,
        elapsedSeconds: 1,
      },
    ]);
    await store.writeStatus(run.status, { step: 3 });
  }
  fs.mkdirSync(path.join(root, "not-an-experiment"));
  fs.writeFileSync(path.join(root, "stray.txt"), "x");
  return root;
}

test("listExperiments summarises each experiment folder, oldest first", async () => {
  const root = await makeRoot();
  const list = listExperiments(root);
  assert.deepEqual(
    list.map((e) => [e.id, e.status, e.step, e.totalSteps, e.trainLoss, e.evalLoss, e.bestEvalLoss]),
    [
      ["run0-20250101-000000", "completed", 3, 9, 1.9, 2.3, 2.1],
      ["run1-20250101-010000", "failed", 3, 9, 1.9, 2.4, 2.4],
    ],
  );
  assert.equal(list[0].backbone, "./tiny");
  assert.ok(Math.abs(list[0].metrics.perplexity - Math.exp(2.3)) < 1e-12);
  assert.deepEqual(listExperiments(path.join(root, "missing")), []);
});

test("compareExperiments flags differing settings and builds a DataFrame", async () => {
  const root = await makeRoot();
  const cmp = compareExperiments(root);
  assert.deepEqual(cmp.differingSettings, ["training.learning_rate"]);
  assert.deepEqual(
    cmp.rows.map((r) => [r.id, r["training.learning_rate"], r["lora.target_modules"], r.best_eval_loss]),
    [
      ["run0-20250101-000000", 1e-4, "q_proj,v_proj", 2.1],
      ["run1-20250101-010000", 3e-4, "q_proj,v_proj", 2.4],
    ],
  );
  const byDirs = compareExperiments(cmp.rows.map((r) => path.join(root, String(r.id))));
  assert.deepEqual(byDirs.rows, cmp.rows);
  const df = cmp.toDataFrame();
  assert.deepEqual(df.shape, [2, 8]);
  assert.deepEqual(df.columns, [
    "id",
    "status",
    "step",
    "train_loss",
    "eval_loss",
    "best_eval_loss",
    "metric.perplexity",
    "training.learning_rate",
  ]);
  assert.deepEqual(df["training.learning_rate"].values, [1e-4, 3e-4]);
});

test("a created or running experiment whose process is gone is listed as interrupted", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-list-"));
  const config = parseExperimentConfig({ architecture: { backbone: "./tiny" } });
  const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
  const cases = [
    { name: "killed", status: "running" as const, pid: dead, host: os.hostname(), shown: "interrupted" },
    { name: "unstarted", status: "created" as const, pid: dead, host: os.hostname(), shown: "interrupted" },
    { name: "alive", status: "running" as const, pid: process.pid, host: os.hostname(), shown: "running" },
    { name: "remote", status: "running" as const, pid: dead, host: "elsewhere", shown: "running" },
    { name: "done", status: "completed" as const, pid: dead, host: os.hostname(), shown: "completed" },
  ];
  for (const [i, c] of cases.entries()) {
    const store = await ExperimentStore.create({ root, name: c.name, config, now: new Date(2025, 0, 1, i) });
    await store.writeStatus(c.status, { pid: c.pid, host: c.host });
  }
  await ExperimentStore.create({ root, name: "fresh", config, now: new Date(2025, 0, 2) });
  const shown = Object.fromEntries(listExperiments(root).map((e) => [e.name, e.status]));
  assert.deepEqual(shown, {
    killed: "interrupted",
    unstarted: "interrupted",
    alive: "running",
    remote: "running",
    done: "completed",
    fresh: "created",
  });
});
