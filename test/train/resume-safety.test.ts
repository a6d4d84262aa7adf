/**
 * Resume with the real `tunebook` binary and real processes on a tiny Llama: a run killed with SIGKILL is listed
 * as interrupted and its stale lock is taken over; `--resume --dry-run` only prints the plan; a setting changed
 * in config.yaml or with `--set` is refused, naming the checkpoint's value and the new one, unless it cannot
 * change the trained values (then it is honoured and recorded); changed training data is refused; two resumes
 * started at once: exactly one trains; `--checkpoint best` continues from the best checkpoint, as a damaged
 * `last` advises.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import {
  checkpointStep,
  cliWorkspace,
  exited,
  killAfterCheckpoint,
  RESUMABLE_SETTINGS,
  type Settings,
  startTunebook,
  tunebook,
} from "../support/cli-workspace";
import { arithmeticRecords } from "./fixtures";

const workspace = (settings: Settings = {}) =>
  cliWorkspace({
    settings: { ...RESUMABLE_SETTINGS, ...settings, "logging.name": "resume" },
    records: arithmeticRecords(48),
  });

const listed = (cwd: string) => {
  const r = tunebook(["experiments", "list", "--root", "runs", "--json"], cwd);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as { id: string; status: string }[];
};

const snapshot = (dir: string) =>
  ["metrics.jsonl", "status.json", "config.yaml", "checkpoints/last/trainer-state.json"].map((f) =>
    fs.readFileSync(path.join(dir, f), "utf8"),
  );

test("a killed run is interrupted; resume checks its plan and settings, then takes the stale lock over", {
  timeout: 600_000,
}, async () => {
  const dir = await workspace();
  const killed = await killAfterCheckpoint(
    startTunebook(["train", "--config", "exp.yaml"], dir),
    path.join(dir, "runs"),
    3,
  );
  const step = checkpointStep(killed);
  assert.ok(step < 18, "killed before the end");
  assert.deepEqual(
    listed(dir).map((e) => e.status),
    ["interrupted"],
  );
  const lock = JSON.parse(fs.readFileSync(path.join(killed, "run.lock"), "utf8"));
  assert.ok(lock.pid > 0, "the killed run's lock is left behind");

  // --dry-run checks and prints the plan; nothing in the folder changes.
  const before = snapshot(killed);
  const plan = tunebook(["train", "--resume", killed, "--dry-run"], dir);
  assert.equal(plan.code, 0, plan.err);
  assert.match(plan.out, new RegExp(`# from checkpoints/last: step ${step} of 18 planned`));
  assert.match(plan.out, /# no setting changed since the checkpoint/);
  assert.match(plan.out, /# training data: the same as the checkpoint's \(sha256:[0-9a-f]{64}\)/);
  assert.match(plan.out, /learning_rate: 0\.005/);
  const honoured = tunebook(
    ["train", "--resume", killed, "--set", "training.evaluation_epochs=0.5", "--dry-run"],
    dir,
  );
  assert.equal(honoured.code, 0, honoured.err);
  assert.match(honoured.out, /# {3}training\.evaluation_epochs: 0\.25 -> 0\.5/);
  assert.deepEqual(snapshot(killed), before, "a dry run changes nothing");

  // Settings that change the trained values are refused, whether edited in config.yaml or given with --set.
  const configFile = path.join(killed, "config.yaml");
  const original = fs.readFileSync(configFile, "utf8");
  fs.writeFileSync(configFile, original.replace("learning_rate: 0.005", "learning_rate: 0.001"));
  const edited = tunebook(["train", "--resume", killed], dir);
  assert.equal(edited.code, 1);
  assert.match(edited.err, /training\.learning_rate: checkpoint 0\.005, now 0\.001/);
  assert.match(edited.err, /start a new experiment/);
  fs.writeFileSync(configFile, original);
  for (const [set, message] of [
    ["training.batch_size=8", /training\.batch_size: checkpoint 4, now 8/],
    ["dataset.train_file=other.csv", /dataset\.train_file: checkpoint "train\.csv", now "other\.csv"/],
    ["training.epochs=3", /training\.epochs: checkpoint 2, now 3 \(with the cosine schedule/],
  ] as const) {
    const r = tunebook(["train", "--resume", killed, "--set", set, "--dry-run"], dir);
    assert.equal(r.code, 1, `${set}: ${r.out}`);
    assert.match(r.err, message);
  }
  // Other contents under the same file name are other training data.
  const data = path.join(dir, "train.csv");
  const rows = fs.readFileSync(data, "utf8");
  fs.writeFileSync(data, rows.replace('"What is 0 plus 1?",1', '"What is 0 plus 1?",7'));
  for (const args of [[], ["--dry-run"]]) {
    const changedData = tunebook(["train", "--resume", killed, ...args], dir);
    assert.equal(changedData.code, 1, changedData.out);
    assert.match(changedData.err, /training data: checkpoint "sha256:[0-9a-f]+", now "sha256:[0-9a-f]+"/);
    assert.match(changedData.err, /train\.csv \(read from .*\) has other contents/);
  }
  fs.writeFileSync(data, rows);
  assert.deepEqual(snapshot(killed), before, "refused resumes change nothing");

  // A safe change is honoured and recorded; the dead process's lock is taken over and released at the end.
  const resumed = tunebook(["train", "--resume", killed, "--set", "training.evaluation_epochs=0.5"], dir);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /completed after 18 steps/);
  assert.match(fs.readFileSync(configFile, "utf8"), /evaluation_epochs: 0.5/);
  const logs = fs.readFileSync(path.join(killed, "logs.txt"), "utf8");
  assert.match(logs, /setting changed on resume: training\.evaluation_epochs: 0\.25 -> 0\.5/);
  assert.equal(fs.existsSync(path.join(killed, "run.lock")), false);
  assert.deepEqual(
    listed(dir).map((e) => e.status),
    ["completed"],
  );
  const state = JSON.parse(fs.readFileSync(path.join(killed, "checkpoints/last/trainer-state.json"), "utf8"));
  assert.equal(state.config.training.evaluation_epochs, 0.5, "the checkpoint records the settings it used");
});

test("two resumes of one folder started at once: exactly one trains", { timeout: 600_000 }, async () => {
  const dir = await workspace({ "training.schedule": "constant" });
  const first = tunebook(["train", "--config", "exp.yaml", "--set", "training.epochs=1"], dir);
  assert.equal(first.code, 0, first.err);
  const folder = path.join(dir, "runs", fs.readdirSync(path.join(dir, "runs"))[0]);
  // With a constant schedule more epochs extend the run (the step's learning rate does not depend on them).
  const args = ["train", "--resume", folder, "--set", "training.epochs=60"];
  const [a, b] = [startTunebook(args, dir), startTunebook(args, dir)];
  const loser = await Promise.race(
    [a, b].map(async (c) => {
      await exited(c);
      return c;
    }),
  );
  const winner = loser === a ? b : a;
  assert.equal(loser.exitCode, 1, loser.output());
  assert.match(loser.output(), new RegExp(`is being trained by process ${winner.pid}`));
  assert.equal(winner.exitCode, null, "the other one is still training");
  // SIGTERM stops it after the current step with a checkpoint, and releases the lock.
  winner.kill("SIGTERM");
  assert.equal(await exited(winner), 130, winner.output());
  assert.equal(fs.existsSync(path.join(folder, "run.lock")), false);
  assert.deepEqual(
    listed(dir).map((e) => e.status),
    ["cancelled"],
  );
  assert.ok(checkpointStep(folder) > 9, "it trained past the first run's end");
  assert.match(fs.readFileSync(path.join(folder, "config.yaml"), "utf8"), /epochs: 60/);
  assert.match(
    fs.readFileSync(path.join(folder, "logs.txt"), "utf8"),
    /setting changed on resume: training\.epochs: 1 -> 60/,
  );
});

test("--checkpoint best resumes from the best checkpoint, as a damaged last one advises", {
  timeout: 600_000,
}, async () => {
  const dir = await workspace({ "training.save_checkpoint": "best" });
  const done = tunebook(["train", "--config", "exp.yaml"], dir);
  assert.equal(done.code, 0, done.err);
  const folder = path.join(dir, "runs", fs.readdirSync(path.join(dir, "runs"))[0]);
  const best = checkpointStep(folder, "best");
  assert.ok(best > 0);
  fs.writeFileSync(path.join(folder, "checkpoints", "last", "trainable.safetensors"), "torn");
  const damaged = tunebook(["train", "--resume", folder], dir);
  assert.equal(damaged.code, 1);
  assert.match(damaged.err, new RegExp(`tunebook train --resume ${folder} --checkpoint best`));
  const plan = tunebook(["train", "--resume", folder, "--checkpoint", "best", "--dry-run"], dir);
  assert.equal(plan.code, 0, plan.err);
  assert.match(plan.out, new RegExp(`# from checkpoints/best: step ${best} of 18`));
  const resumed = tunebook(["train", "--resume", folder, "--checkpoint", "best"], dir);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /completed after 18 steps/);
  assert.match(
    fs.readFileSync(path.join(folder, "logs.txt"), "utf8"),
    new RegExp(`resuming from checkpoints/best at step ${best}`),
  );
  assert.equal(checkpointStep(folder), 18, "last is whole again");
  const bad = tunebook(["train", "--resume", folder, "--checkpoint", "first"], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /expected last or best, got "first"/);
});
