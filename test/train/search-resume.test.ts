/**
 * A search whose process was killed (SIGKILL) is continued with `tunebook search --resume`: its finished trials
 * are kept as they were, the running ones go on (on queue workers, which never stopped; in process, from their
 * checkpoints), and no trial runs twice. Queue workers use a real redis-server started here on loopback.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { SearchRecord } from "../../sdk/automl";
import { exited, startTunebook } from "../support/cli-workspace";
import {
  readRecord,
  resumedAtStep,
  runningTrialWithCheckpoint,
  searchWorkspace,
  startWorker,
  track,
  until,
  useRedisServer,
} from "../support/search-workspace";

useRedisServer();

/** Resumes the search in `dir` with the CLI and checks it ends with `n` complete trials, one folder each. */
async function resumeAndCheck(
  ws: string,
  dir: string,
  before: SearchRecord,
  n: number,
): Promise<SearchRecord> {
  const second = track(startTunebook(["search", "--config", "search.yaml", "--resume", dir], ws));
  assert.equal(await exited(second), 0, second.output());
  const record = readRecord(dir) as SearchRecord;
  assert.equal(record.trials.length, n);
  assert.equal(record.id, before.id);
  for (const t of record.trials) assert.equal(t.state, "complete", t.reason);
  for (const t of before.trials.filter((t) => t.state === "complete"))
    assert.deepEqual(record.trials[t.number], t, "a finished trial is kept as it was");
  const folders = fs.readdirSync(dir).filter((f) => f.startsWith("trial-"));
  assert.equal(folders.length, n, `one folder per trial: ${folders.join(", ")}`);
  assert.equal(new Set(record.trials.map((t) => JSON.stringify(t.params))).size, n, "no duplicate settings");
  return record;
}

test("a search on workers whose process was killed is resumed: finished trials kept, none run twice", async () => {
  const ws = await searchWorkspace("resume");
  startWorker(ws, "resume");
  startWorker(ws, "resume");
  const first = track(startTunebook(["search", "--config", "search.yaml"], ws));
  const dir = path.join(ws, "runs", "grid");
  await until("a finished trial", 90, () =>
    readRecord(dir)?.trials.some((t) => t.state === "complete") ? true : undefined,
  );
  first.kill("SIGKILL");
  await exited(first);
  await resumeAndCheck(ws, dir, readRecord(dir) as SearchRecord, 4);
});

test("a search in process killed mid-trial is resumed: the running trial continues from its checkpoint", async () => {
  const ws = await searchWorkspace(undefined, [0.005]);
  const first = track(startTunebook(["search", "--config", "search.yaml"], ws));
  const dir = path.join(ws, "runs", "grid");
  const running = await until("a trial with a checkpoint", 60, () => runningTrialWithCheckpoint(dir));
  first.kill("SIGKILL");
  await exited(first);
  const record = await resumeAndCheck(ws, dir, readRecord(dir) as SearchRecord, 2);
  assert.ok((resumedAtStep(running.folder) ?? 0) > 0, "the killed trial continued from its checkpoint");
  assert.ok(record.trials.some((t) => t.folder === running.folder));
});
