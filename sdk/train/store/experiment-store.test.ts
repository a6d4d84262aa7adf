import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../errors";
import { parseExperimentConfig } from "../config";
import { dispatchEvent, type TrainEvent } from "../events";
import { ExperimentNotFoundError } from "./experiment-not-found-error";
import { ExperimentStore } from "./experiment-store";
import { storeCallbacks } from "./store-callbacks";

function tempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-store-"));
}

const config = parseExperimentConfig({ architecture: { backbone: "./tiny" }, training: { epochs: 2 } });

test("create makes a unique timestamped folder with config.yaml and status.json", async () => {
  const root = tempRoot();
  const now = new Date(2025, 0, 2, 3, 4, 5);
  const a = await ExperimentStore.create({ root, name: "tiny", config, now });
  const b = await ExperimentStore.create({ root, name: "tiny", now });
  assert.equal(a.id, "tiny-20250102-030405");
  assert.equal(b.id, "tiny-20250102-030405-2");
  assert.deepEqual(fs.readdirSync(a.dir).sort(), [
    "checkpoints",
    "config.yaml",
    "predictions",
    "status.json",
  ]);
  assert.deepEqual(a.readConfig(), config);
  assert.equal(b.readConfig(), undefined);
  assert.equal(a.readStatus()?.status, "created");
  assert.equal(a.readStatus()?.createdAt, now.toISOString());
  await assert.rejects(ExperimentStore.create({ root, name: "bad name" }), ConfigError);
  assert.throws(() => ExperimentStore.open(root), ExperimentNotFoundError);
  assert.equal(ExperimentStore.open(a.dir).id, a.id);
});

test("metrics, logs and predictions are recorded; a torn metrics line is skipped", async () => {
  const store = await ExperimentStore.create({ root: tempRoot(), name: "m", config });
  const step = {
    type: "step" as const,
    step: 1,
    totalSteps: 2,
    epoch: 0.5,
    loss: 2.5,
    learningRate: 1e-4,
    gradNorm: 0.7,
    tokens: 64,
    tokensPerSecond: 900,
    elapsedSeconds: 1.2,
  };
  store.appendMetrics([step]);
  fs.appendFileSync(store.path("metrics.jsonl"), '{"type":"step","st'); // a crash mid-append
  assert.equal(store.readMetrics().length, 1);
  store.appendMetrics([{ type: "eval", step: 2, epoch: 1, loss: 2.0, metrics: { perplexity: 7.39 } }]);
  const records = store.readMetrics();
  assert.deepEqual(
    records.map((r) => [r.type, r.step, r.loss]),
    [
      ["step", 1, 2.5],
      ["eval", 2, 2.0],
    ],
  );
  assert.ok(!Number.isNaN(Date.parse(records[0].time)));
  store.appendLog("two\nlines", "warn");
  assert.match(fs.readFileSync(store.path("logs.txt"), "utf8"), /^\d{4}-\d\d-\d\dT.*Z WARN {2}two lines\n$/);

  const rows = [
    { prompt: 'say "hi", twice', target: "hi\nhi", prediction: "hi", bleu: 50 },
    { prompt: "x", target: "y", prediction: "", extra: { k: 1 } },
  ];
  const csv = await store.writePredictions("final", rows, "csv");
  // Python's csv module is the independent reader.
  const py = spawnSync(
    "/usr/bin/python3",
    [
      "-c",
      "import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))",
      csv,
    ],
    { encoding: "utf8" },
  );
  assert.equal(py.status, 0, py.stderr);
  assert.deepEqual(JSON.parse(py.stdout), [
    { prompt: 'say "hi", twice', target: "hi\nhi", prediction: "hi", bleu: "50", extra: "" },
    { prompt: "x", target: "y", prediction: "", bleu: "", extra: '{"k":1}' },
  ]);
  const jsonl = await store.writePredictions("final", rows);
  assert.deepEqual(
    fs
      .readFileSync(jsonl, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l)),
    rows,
  );
  const ckpt = await store.writeCheckpoint("best", { "trainer_state.json": '{"step":2}' });
  assert.equal(fs.readFileSync(path.join(ckpt, "trainer_state.json"), "utf8"), '{"step":2}');
});

test("storeCallbacks records a run's events and follows its status", async () => {
  const store = await ExperimentStore.create({ root: tempRoot(), name: "cb", config });
  const callbacks = [storeCallbacks(store, { logEveryNSteps: 2 })];
  const events: TrainEvent[] = [];
  for (let s = 1; s <= 5; s++) {
    events.push({
      type: "step",
      step: s,
      totalSteps: 5,
      epoch: s / 5,
      loss: 3 - s * 0.1,
      learningRate: 1e-4,
      gradNorm: 1,
      tokens: 64,
      tokensPerSecond: 1000,
      elapsedSeconds: s,
    });
  }
  events.push({ type: "log", level: "warn", message: "padding quantile cut 3 samples" });
  events.push({ type: "eval", step: 5, epoch: 1, loss: 2.4, metrics: { perplexity: 11.02 } });
  events.push({ type: "checkpoint", step: 5, path: store.path("checkpoints", "last"), reason: "last" });
  await dispatchEvent(callbacks, events[0]);
  assert.equal(store.readStatus()?.status, "running");
  assert.equal(store.readStatus()?.pid, process.pid);
  for (const e of events.slice(1)) await dispatchEvent(callbacks, e);
  await dispatchEvent(callbacks, { type: "done", status: "completed", step: 5, loss: 2.5 });
  assert.deepEqual(
    store.readMetrics().map((r) => `${r.type}${r.step}`),
    ["step1", "step2", "step4", "step5", "eval5"],
  );
  const status = store.readStatus();
  assert.equal(status?.status, "completed");
  assert.equal(status?.step, 5);
  const logs = fs.readFileSync(store.path("logs.txt"), "utf8");
  assert.match(logs, /WARN {2}padding quantile cut 3 samples/);
  assert.match(logs, /eval step=5 epoch=1\.00 loss=2\.4000 perplexity=11\.020/);
  assert.match(logs, /checkpoint \(last\) step=5/);
  assert.match(logs, /run completed at step 5 loss=2\.5000/);
});
