/**
 * A search whose trials run on `tunebook worker` processes through BullMQ on a real Redis (Debian's
 * redis-server, started here on a loopback port): two workers share a 4-trial grid on the tiny Llama; a worker
 * killed with SIGKILL mid-trial has its trial taken over by the other, continued from its last checkpoint to the
 * losses an uninterrupted run gives; a killed search process is resumed without duplicating a trial; a worker
 * of another tunebook version refuses the search's jobs.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import {
  codeVersion,
  loadSearchConfig,
  runSearch,
  type SearchRecord,
  WorkerVersionError,
} from "../../sdk/automl";
import { Experiment } from "../../sdk/train";
import { cliWorkspace, exited, RESUMABLE_SETTINGS, startTunebook } from "../support/cli-workspace";
import { type RedisServer, startRedisServer } from "../support/redis-server";
import { arithmeticRecords, experimentsRoot } from "./fixtures";

let redis: RedisServer;
const children: ChildProcess[] = [];
before(async () => {
  redis = await startRedisServer();
});
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  redis?.stop();
});

const SEARCH_BLOCK = (queue: string) => `search:
  strategy: grid
  seed: 1
  name: grid
  space:
    training.learning_rate: [0.002, 0.005]
    lora.r: [2, 4]
  queue:
    url: ${redis.url}
    name: ${queue}
    concurrency: 2
`;

/** A workspace with 48 arithmetic records, `exp.yaml` (the resumable settings) and `search.yaml`. */
async function workspace(queue: string): Promise<string> {
  const dir = experimentsRoot();
  const ws = await cliWorkspace({
    dir,
    records: arithmeticRecords(48),
    settings: {
      ...RESUMABLE_SETTINGS,
      "dataset.train_file": path.join(dir, "train.csv"),
      "logging.output_dir": path.join(dir, "runs"),
    },
  });
  const exp = fs.readFileSync(path.join(ws, "exp.yaml"), "utf8");
  fs.writeFileSync(path.join(ws, "search.yaml"), exp + SEARCH_BLOCK(queue));
  return ws;
}

function worker(ws: string, queue: string, extra: string[] = []) {
  const child = startTunebook(
    ["worker", "--queue", redis.url, "--queue-name", queue, "--lock-seconds", "2", ...extra],
    ws,
  );
  children.push(child);
  return child;
}

const readRecord = (dir: string): SearchRecord | undefined => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "search.json"), "utf8")) as SearchRecord;
  } catch {
    return undefined;
  }
};

/** Polls `check` every 25 ms until it returns a value (or fails after `seconds`). */
async function until<T>(what: string, seconds: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The eval losses a trial folder recorded. */
const evalLosses = (folder: string): [number, number][] =>
  fs
    .readFileSync(path.join(folder, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"type":"eval"'))
    .map((l) => JSON.parse(l))
    .map((e) => [e.step, e.loss]);

test("two workers run a 4-trial search; a worker killed mid-trial has its trial continued from its checkpoint by the other", async () => {
  const ws = await workspace("two-workers");
  const a = worker(ws, "two-workers");
  const b = worker(ws, "two-workers");
  const exp = Experiment.fromConfig(path.join(ws, "exp.yaml"));
  const { options } = loadSearchConfig(path.join(ws, "search.yaml"));
  const search = runSearch(exp, options);
  // Kill the worker training the first trial that has written a checkpoint, while it still has steps to go.
  const dir = path.join(ws, "runs", "grid");
  const victim = await until("a trial with a checkpoint", 60, () => {
    if (!fs.existsSync(dir)) return undefined;
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith("trial-"))) {
      const folder = path.join(dir, f);
      if (!fs.existsSync(path.join(folder, "checkpoints", "last"))) continue;
      const status = JSON.parse(fs.readFileSync(path.join(folder, "status.json"), "utf8"));
      const w = [a, b].find((c) => c.pid === status.pid);
      if (status.status === "running" && w) return { folder, worker: w };
    }
    return undefined;
  });
  victim.worker.kill("SIGKILL");
  const result = await search;
  assert.equal(result.trials.length, 4);
  for (const t of result.trials) assert.equal(t.state, "complete", t.reason);
  assert.equal(new Set(result.trials.map((t) => JSON.stringify(t.params))).size, 4, "no duplicate trial");
  const killed = result.trials.find((t) => t.folder === victim.folder);
  assert.ok(killed, "the killed trial finished in the folder it started in");
  const log = fs.readFileSync(path.join(victim.folder, "logs.txt"), "utf8");
  const resumed = /resuming from checkpoints\/last at step (\d+)/.exec(log);
  assert.ok(resumed && Number(resumed[1]) > 0, `the trial continued from its checkpoint:\n${log}`);
  const steps = fs
    .readFileSync(path.join(victim.folder, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"type":"step"'))
    .map((l) => JSON.parse(l).step);
  assert.deepEqual(
    steps,
    Array.from({ length: steps.length }, (_, i) => i + 1),
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
  const survivor = [a, b].find((c) => c !== victim.worker) as ChildProcess;
  survivor.kill("SIGINT");
  assert.equal(await exited(survivor), 0);
});

test("a search whose process was killed is resumed: finished trials kept, none run twice", async () => {
  const ws = await workspace("resume");
  worker(ws, "resume");
  worker(ws, "resume");
  const first = startTunebook(["search", "--config", "search.yaml"], ws);
  children.push(first);
  const dir = path.join(ws, "runs", "grid");
  await until("a finished trial", 90, () =>
    readRecord(dir)?.trials.some((t) => t.state === "complete") ? true : undefined,
  );
  first.kill("SIGKILL");
  await exited(first);
  const before = readRecord(dir) as SearchRecord;
  const done = before.trials.filter((t) => t.state === "complete");
  const second = startTunebook(["search", "--config", "search.yaml", "--resume", dir], ws);
  children.push(second);
  assert.equal(await exited(second), 0, second.output());
  const record = readRecord(dir) as SearchRecord;
  assert.equal(record.trials.length, 4);
  assert.equal(record.id, before.id);
  for (const t of record.trials) assert.equal(t.state, "complete", t.reason);
  for (const t of done) assert.deepEqual(record.trials[t.number], t, "a finished trial is kept as it was");
  const folders = fs.readdirSync(dir).filter((f) => f.startsWith("trial-"));
  assert.equal(folders.length, 4, `one folder per trial: ${folders.join(", ")}`);
  assert.equal(new Set(record.trials.map((t) => JSON.stringify(t.params))).size, 4);
});

test("a worker of another tunebook version refuses the search's jobs, and a search will not start beside it", async () => {
  // A real install of another version: this build under a package.json that says 0.0.0-other.
  const other = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-other-version-"));
  for (const part of ["sdk", "kernel-extensions"])
    fs.cpSync(path.resolve("dist", part), path.join(other, "dist", part), { recursive: true });
  fs.writeFileSync(
    path.join(other, "package.json"),
    JSON.stringify({ name: "tunebook", version: "0.0.0-other" }),
  );
  fs.symlinkSync(path.resolve("node_modules"), path.join(other, "node_modules"));
  after(() => fs.rmSync(other, { recursive: true, force: true }));
  const ws = await workspace("versions");
  // A job of this version, put on the queue as a search does.
  const queue = new Queue("versions", { connection: { host: "127.0.0.1", port: redis.port } });
  await queue.add(
    "trial",
    {
      code: codeVersion(),
      dir: ws,
      trial: 0,
      config: {},
      objective: { name: "loss", direction: "minimize" },
      verdictSeconds: 1,
    },
    { jobId: "v-trial-0" },
  );
  const { spawn } = await import("node:child_process");
  const bad = spawn(
    process.execPath,
    [path.join(other, "dist/sdk/cli/main.js"), "worker", "--queue", redis.url, "--queue-name", "versions"],
    { cwd: ws },
  );
  children.push(bad);
  let out = "";
  bad.stdout.on("data", (d) => (out += d));
  bad.stderr.on("data", (d) => (out += d));
  const code = await exited(bad);
  assert.equal(code, 1, out);
  assert.match(out, /the worker runs tunebook 0\.0\.0-other .* but the search was started with tunebook \d/);
  assert.match(out, /install the search's tunebook version on every worker/);
  const job = await queue.getJob("v-trial-0");
  assert.equal(await job?.getState(), "waiting", "the refused job waits for another worker");
  await queue.close();
  // A search refuses to start while a worker of another version listens on its queue.
  const listening = spawn(
    process.execPath,
    [path.join(other, "dist/sdk/cli/main.js"), "worker", "--queue", redis.url, "--queue-name", "versions-2"],
    { cwd: ws },
  );
  children.push(listening);
  const probe = new Queue("versions-2", { connection: { host: "127.0.0.1", port: redis.port } });
  for (let i = 0; i < 400 && (await probe.getWorkers()).length === 0; i++) await sleep(25);
  await probe.close();
  const exp = Experiment.fromConfig(path.join(ws, "exp.yaml"));
  await assert.rejects(
    () => runSearch(exp, { space: { "lora.r": [2] }, queue: { url: redis.url, name: "versions-2" } }),
    (e: unknown) => e instanceof WorkerVersionError && /it runs tunebook 0\.0\.0-other/.test(e.message),
  );
  listening.kill("SIGKILL");
});
