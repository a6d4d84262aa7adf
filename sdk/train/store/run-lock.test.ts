/**
 * The run lock with real files and real processes: one holder at a time, released whole, a dead process's
 * lock taken over, and several processes racing for one stale lock: exactly one wins.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { ExperimentLockedError } from "./experiment-locked-error";
import { acquireRunLock, RUN_LOCK_FILE } from "./run-lock";

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-lock-"));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  assert.equal(r.status, 0);
  return r.pid as number;
}

test("one holder at a time: a second take fails naming the holder; release frees it", () => {
  const dir = tempDir();
  const lock = acquireRunLock(dir);
  const record = JSON.parse(fs.readFileSync(path.join(dir, RUN_LOCK_FILE), "utf8"));
  assert.equal(record.pid, process.pid);
  assert.equal(record.host, os.hostname());
  assert.throws(
    () => acquireRunLock(dir),
    (e: unknown) =>
      e instanceof ExperimentLockedError &&
      e.pid === process.pid &&
      e.message.includes(`process ${process.pid}`) &&
      e.message.includes(RUN_LOCK_FILE),
  );
  lock.release();
  lock.release();
  assert.equal(fs.existsSync(path.join(dir, RUN_LOCK_FILE)), false);
  acquireRunLock(dir).release();
});

test("a lock left by a dead process is taken over; one from another host is not", () => {
  const dir = tempDir();
  const file = path.join(dir, RUN_LOCK_FILE);
  const pid = deadPid();
  fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), acquiredAt: "2020-01-01T00:00:00Z" }));
  const lock = acquireRunLock(dir);
  assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).pid, process.pid);
  lock.release();

  fs.writeFileSync(file, JSON.stringify({ pid, host: "elsewhere", acquiredAt: "2020-01-01T00:00:00Z" }));
  assert.throws(
    () => acquireRunLock(dir),
    (e: unknown) => e instanceof ExperimentLockedError && /on host elsewhere/.test(e.message),
  );
  // An unreadable lock (torn by a crash while it was written) that is not fresh is stale too.
  fs.writeFileSync(file, "");
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(file, old, old);
  acquireRunLock(dir).release();
});

test("release leaves a lock that is no longer this holder's", () => {
  const dir = tempDir();
  const file = path.join(dir, RUN_LOCK_FILE);
  const lock = acquireRunLock(dir);
  const other = { pid: process.pid, host: os.hostname(), acquiredAt: "someone else" };
  fs.writeFileSync(file, JSON.stringify(other));
  lock.release();
  assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).acquiredAt, "someone else");
});

test("processes racing for one stale lock: exactly one takes it", async () => {
  const dir = tempDir();
  const file = path.join(dir, RUN_LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: os.hostname(), acquiredAt: "x" }));
  const module = path.resolve(__dirname, "run-lock.js");
  const script = `
    const { acquireRunLock } = require(${JSON.stringify(module)});
    const start = Number(process.argv[1]);
    while (Date.now() < start) {}
    try { const l = acquireRunLock(${JSON.stringify(dir)}); console.log("took"); setTimeout(() => l.release(), 1500); }
    catch (e) { console.log(e.name); }`;
  const start = Date.now() + 1500;
  const children = Array.from({ length: 6 }, () =>
    spawn(process.execPath, ["-e", script, String(start)], { stdio: ["ignore", "pipe", "inherit"] }),
  );
  const outputs = await Promise.all(
    children.map(
      (c) =>
        new Promise<string>((resolve) => {
          let out = "";
          c.stdout.on("data", (d) => {
            out += d;
          });
          c.once("exit", () => resolve(out.trim()));
        }),
    ),
  );
  assert.equal(outputs.filter((o) => o === "took").length, 1, outputs.join(", "));
  assert.equal(outputs.filter((o) => o === "TunebookExperimentLockedError").length, 5, outputs.join(", "));
  assert.equal(fs.existsSync(file), false, "the winner released the lock when it exited");
});
