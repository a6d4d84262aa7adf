/**
 * Shared pieces of the search-queue and search-resume tests: a real redis-server for the file (started before
 * its tests, killed after, with every child process they started), a workspace with `exp.yaml` and a
 * `search.yaml` over a 4-trial grid, workers started with the built CLI, and readers of what a search wrote.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { SearchRecord } from "../../sdk/automl";
import { arithmeticRecords, experimentsRoot } from "../train/fixtures";
import { cliWorkspace, RESUMABLE_SETTINGS, startTunebook } from "./cli-workspace";
import { type RedisServer, startRedisServer } from "./redis-server";

/** The file's Redis server (set before its first test). */
export let redis: RedisServer;
const children: ChildProcess[] = [];

/** Starts redis-server before the file's tests and stops it, and every process {@link track}ed, after them. */
export function useRedisServer(): void {
  before(async () => {
    redis = await startRedisServer();
  });
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    redis?.stop();
  });
}

/** Kills `child` after the file's tests if it still runs; returns it. */
export function track<T extends ChildProcess>(child: T): T {
  children.push(child);
  return child;
}

/** The `search:` block: a 4-trial grid (2 learning rates × 2 ranks), on `queue` unless it is undefined. */
const searchBlock = (queue: string | undefined, rates: number[]) => `search:
  strategy: grid
  seed: 1
  name: grid
  space:
    training.learning_rate: [${rates.join(", ")}]
    lora.r: [2, 4]
${queue === undefined ? "" : `  queue:\n    url: ${redis.url}\n    name: ${queue}\n    concurrency: 2\n`}`;

/**
 * A workspace with 48 arithmetic records, `exp.yaml` (18 steps, evaluated and checkpointed every 2) and
 * `search.yaml` (absolute paths, so the search and its workers agree wherever they run).
 * @param queue - the queue's name, or undefined for a search in process
 * @param rates - the learning rates of the grid (its size is twice their number)
 */
export async function searchWorkspace(queue: string | undefined, rates = [0.002, 0.005]): Promise<string> {
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
  fs.writeFileSync(path.join(ws, "search.yaml"), exp + searchBlock(queue, rates));
  return ws;
}

/** Starts `tunebook worker` on `queue` with a 2 s lock (a killed worker's trial is taken over quickly). */
export function startWorker(ws: string, queue: string) {
  return track(
    startTunebook(["worker", "--queue", redis.url, "--queue-name", queue, "--lock-seconds", "5"], ws),
  );
}

/** The search folder's `search.json`, or undefined while it cannot be read. */
export const readRecord = (dir: string): SearchRecord | undefined => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "search.json"), "utf8")) as SearchRecord;
  } catch {
    return undefined;
  }
};

/** Polls `check` every 25 ms until it returns a value (or fails after `seconds`). */
export async function until<T>(what: string, seconds: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A trial folder of the search in `dir` that holds a checkpoint and whose run is still going, with its pid. */
export function runningTrialWithCheckpoint(dir: string): { folder: string; pid: number } | undefined {
  if (!fs.existsSync(dir)) return undefined;
  for (const f of fs.readdirSync(dir).filter((n) => n.startsWith("trial-"))) {
    const folder = path.join(dir, f);
    if (!fs.existsSync(path.join(folder, "checkpoints", "last"))) continue;
    try {
      const status = JSON.parse(fs.readFileSync(path.join(folder, "status.json"), "utf8"));
      if (status.status === "running") return { folder, pid: status.pid };
    } catch {
      // status.json is being replaced: look again at the next poll.
    }
  }
  return undefined;
}

/** The step at which a trial folder's run was continued from its checkpoint, from its logs.txt. */
export function resumedAtStep(folder: string): number | undefined {
  const log = fs.readFileSync(path.join(folder, "logs.txt"), "utf8");
  const m = /resuming from checkpoints\/last at step (\d+)/.exec(log);
  return m ? Number(m[1]) : undefined;
}

/** The validation losses a trial folder recorded, as [step, loss]. */
export const evalLosses = (folder: string): [number, number][] =>
  fs
    .readFileSync(path.join(folder, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"type":"eval"'))
    .map((l) => JSON.parse(l))
    .map((e) => [e.step, e.loss]);
