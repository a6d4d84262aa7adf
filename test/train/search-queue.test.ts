/**
 * A search whose trials run on `tunebook worker` processes through BullMQ on a real Redis (Debian's
 * redis-server, started here on a loopback port): two workers share a 4-trial grid on the tiny Llama; a worker
 * killed with SIGKILL mid-trial has its trial taken over by the other, continued from its last checkpoint to the
 * losses an uninterrupted run gives; a worker of another tunebook version refuses the search's jobs.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { codeVersion, loadSearchConfig, runSearch, WorkerVersionError } from "../../sdk/automl";
import { Experiment } from "../../sdk/train";
import { exited } from "../support/cli-workspace";
import {
  evalLosses,
  redis,
  resumedAtStep,
  runningTrialWithCheckpoint,
  searchWorkspace,
  startWorker,
  track,
  until,
  useRedisServer,
} from "../support/search-workspace";

useRedisServer();

test("two workers run a 4-trial search; a worker killed mid-trial has its trial continued from its checkpoint by the other", async () => {
  const ws = await searchWorkspace("two-workers");
  const workers = [startWorker(ws, "two-workers"), startWorker(ws, "two-workers")];
  const { options } = loadSearchConfig(path.join(ws, "search.yaml"));
  const search = runSearch(Experiment.fromConfig(path.join(ws, "exp.yaml")), options);
  // Kill the worker training the first trial that has written a checkpoint, while it still has steps to go.
  const dir = path.join(ws, "runs", "grid");
  const victim = await until("a trial with a checkpoint", 60, () => {
    const t = runningTrialWithCheckpoint(dir);
    const worker = workers.find((w) => w.pid === t?.pid);
    return t && worker ? { folder: t.folder, worker } : undefined;
  });
  victim.worker.kill("SIGKILL");
  const result = await search;
  assert.equal(result.trials.length, 4);
  for (const t of result.trials) assert.equal(t.state, "complete", t.reason);
  assert.equal(new Set(result.trials.map((t) => JSON.stringify(t.params))).size, 4, "no duplicate trial");
  const killed = result.trials.find((t) => t.folder === victim.folder);
  assert.ok(killed, "the killed trial finished in the folder it started in");
  assert.ok((resumedAtStep(victim.folder) ?? 0) > 0, "the trial continued from its checkpoint");
  const steps = fs
    .readFileSync(path.join(victim.folder, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"type":"step"'))
    .map((l) => JSON.parse(l).step);
  assert.deepEqual(
    steps,
    Array.from({ length: 18 }, (_, i) => i + 1),
    "each step once, in order",
  );
  // The same trial trained without interruption gives the same validation losses (bit-exact resume).
  const plain = await Experiment.fromConfig(path.join(victim.folder, "config.yaml"))
    .set({ "logging.outputDir": path.join(ws, "uninterrupted") })
    .fit({ display: false });
  await plain.backbone.dispose();
  const expected = plain.history.flatMap((r) => (r.type === "eval" ? [[r.step, r.loss]] : []));
  assert.deepEqual(evalLosses(victim.folder), expected);
  assert.deepEqual(killed.curve, expected);
  const survivor = workers.find((w) => w !== victim.worker);
  survivor?.kill("SIGINT");
  assert.equal(await exited(survivor as NonNullable<typeof survivor>), 0);
});

test("a worker of another tunebook version refuses the search's jobs, and a search will not start beside it", async () => {
  // A real install of another version: this build under a package.json that says 0.0.0-other.
  const other = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-other-version-"));
  after(() => fs.rmSync(other, { recursive: true, force: true }));
  for (const part of ["sdk", "kernel-extensions"])
    fs.cpSync(path.resolve("dist", part), path.join(other, "dist", part), { recursive: true });
  fs.writeFileSync(
    path.join(other, "package.json"),
    JSON.stringify({ name: "tunebook", version: "0.0.0-other" }),
  );
  fs.symlinkSync(path.resolve("node_modules"), path.join(other, "node_modules"));
  const otherWorker = (queue: string) => {
    const args = [
      path.join(other, "dist/sdk/cli/main.js"),
      "worker",
      "--queue",
      redis.url,
      "--queue-name",
      queue,
    ];
    const child = track(spawn(process.execPath, args));
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    return Object.assign(child, { output: () => out });
  };
  const connection = { host: "127.0.0.1", port: redis.port };
  // A job of this version, put on the queue as a search does.
  const queue = new Queue("versions", { connection });
  const data = {
    code: codeVersion(),
    dir: other,
    trial: 0,
    config: {},
    objective: { name: "loss", direction: "minimize" },
    verdictSeconds: 1,
  };
  await queue.add("trial", data, { jobId: "v-trial-0" });
  const bad = otherWorker("versions");
  assert.equal(await exited(bad), 1, bad.output());
  assert.match(
    bad.output(),
    /the worker runs tunebook 0\.0\.0-other .* but the search was started with tunebook \d/,
  );
  assert.match(bad.output(), /install the search's tunebook version on every worker/);
  assert.equal(
    await (await queue.getJob("v-trial-0"))?.getState(),
    "waiting",
    "the job waits for another worker",
  );
  await queue.close();
  // A search refuses to start while a worker of another version listens on its queue.
  const listening = otherWorker("versions-2");
  const probe = new Queue("versions-2", { connection });
  for (let i = 0; i < 400 && (await probe.getWorkers()).length === 0; i++) await sleep(25);
  await probe.close();
  const ws = await searchWorkspace(undefined);
  await assert.rejects(
    () =>
      runSearch(Experiment.fromConfig(path.join(ws, "exp.yaml")), {
        space: { "lora.r": [2] },
        queue: { url: redis.url, name: "versions-2" },
      }),
    (e: unknown) =>
      e instanceof WorkerVersionError && /worker .*: it runs tunebook 0\.0\.0-other/.test(e.message),
  );
  assert.equal(fs.existsSync(path.join(ws, "runs")), false, "no search folder");
  listening.kill("SIGKILL");
});
