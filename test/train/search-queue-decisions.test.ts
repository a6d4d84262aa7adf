/**
 * On queue workers (a real redis-server started here on loopback), the search keeps deciding: its pruner judges
 * each evaluation a worker reports and its stop reaches the running trial; an unreachable Redis, a URL that is
 * not Redis's, or data passed in code fail before any folder is made.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { type Pruner, QueueUnreachableError, runSearch, runWorker } from "../../sdk/automl";
import { ConfigError } from "../../sdk/errors";
import { Experiment } from "../../sdk/train";
import { exited } from "../support/cli-workspace";
import { freePort } from "../support/redis-server";
import { redis, searchWorkspace, startWorker, useRedisServer } from "../support/search-workspace";
import { arithmeticDataset, tinyLlama } from "./fixtures";

useRedisServer();

test("on workers, the search's pruner decides at each evaluation and its stop reaches the running trial", async () => {
  const ws = await searchWorkspace("prune");
  const w = startWorker(ws, "prune");
  // A scripted pruner: trial 1 is pruned at its second evaluation.
  const scripted: Pruner = {
    name: "scripted",
    decide: (trial, step) =>
      trial.number === 1 && trial.intermediate.size >= 2
        ? { prune: true, reason: `scripted at step ${step}` }
        : { prune: false },
  };
  const stop = new AbortController();
  const result = await runSearch(
    Experiment.fromConfig(path.join(ws, "exp.yaml")).set({ "training.epochs": 1 }),
    {
      space: { "training.learning_rate": [0.002, 0.003, 0.005] },
      strategy: "grid",
      pruner: scripted,
      queue: { url: redis.url, name: "prune", concurrency: 1 },
      signal: stop.signal,
      callbacks: { onTrialEval: (t) => (t.number === 2 ? stop.abort() : undefined) },
    },
  );
  assert.deepEqual(
    result.trials.map((t) => t.state),
    ["complete", "pruned", "stopped"],
    JSON.stringify(result.trials.map((t) => t.reason)),
  );
  assert.equal(result.stoppedBy, "signal");
  assert.equal(result.trials[1].reason, "scripted at step 4");
  assert.deepEqual(
    result.trials[1].curve.map(([s]) => s),
    [2, 4],
    "pruned at the evaluation it was judged at",
  );
  assert.equal(result.trials[2].reason, "the search was stopped");
  assert.ok(result.trials[2].curve.length < 4);
  for (const t of result.trials)
    assert.ok(fs.existsSync(path.join(t.folder as string, "checkpoints", "last")));
  w.kill("SIGINT");
  assert.equal(await exited(w), 0);
});

test("an unreachable Redis, or data passed in code, fail before any folder; so does a worker without Redis", async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const ws = await searchWorkspace(undefined);
  await assert.rejects(
    () =>
      runSearch(Experiment.fromConfig(path.join(ws, "exp.yaml")), {
        space: { "lora.r": [2] },
        queue: { url },
      }),
    (e: unknown) =>
      e instanceof QueueUnreachableError && e.message.startsWith(`cannot reach Redis at ${url} (`),
  );
  await assert.rejects(() => runWorker({ url }), QueueUnreachableError);
  const inCode = Experiment.create({ root: path.join(ws, "runs") })
    .backbone(await tinyLlama())
    .dataset(arithmeticDataset(24));
  await assert.rejects(
    () => runSearch(inCode, { space: { "lora.r": [2] }, queue: { url: redis.url } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /dataset\.train_file: a search on workers needs its data as files/.test(e.message),
  );
  await assert.rejects(
    () =>
      runSearch(Experiment.fromConfig(path.join(ws, "exp.yaml")), {
        space: { "lora.r": [2] },
        queue: { url: "http://x" },
      }),
    /queue\.url: expected a Redis address like redis:\/\/127\.0\.0\.1:6379, got 'http:\/\/x'/,
  );
  assert.equal(fs.existsSync(path.join(ws, "runs")), false);
});
