/**
 * `tunebook search` as users run it: a YAML file holding an experiment and a `search:` block, run by the built
 * binary; `search status` prints the leaderboard; bad blocks fail before any folder exists.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cliWorkspace, tunebook } from "../support/cli-workspace";

const SEARCH_BLOCK = `search:
  strategy: random
  seed: 3
  budget:
    trials: 2
  pruner:
    type: median
    startup_trials: 1
  space:
    training.learning_rate:
      type: log_uniform
      low: 1.0e-4
      high: 5.0e-3
    lora.r: [2, 4]
`;

async function workspace(block: string): Promise<string> {
  const dir = await cliWorkspace();
  fs.appendFileSync(path.join(dir, "exp.yaml"), block);
  return dir;
}

test("tunebook search runs the search file's trials and search status prints the leaderboard", async () => {
  const dir = await workspace(SEARCH_BLOCK);
  const dry = tunebook(["search", "--config", "exp.yaml", "--dry-run"], dir);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /strategy: random/);
  assert.match(dry.out, /training\.learningRate: log_uniform \[0\.0001, 0\.005\]/);
  assert.equal(fs.existsSync(path.join(dir, "runs")), false, "a dry run creates nothing");

  const r = tunebook(["search", "--config", "exp.yaml"], dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^trial 0: training\.learning_rate=\S+ lora\.r=[24]$/m);
  assert.match(r.out, /^trial 1 (complete|pruned)/m);
  assert.match(r.out, /search stopped by trials/);
  const searchDir = path.join(dir, "runs", "search");
  const record = JSON.parse(fs.readFileSync(path.join(searchDir, "search.json"), "utf8"));
  assert.equal(record.trials.length, 2);
  assert.equal(record.pruner, "median");

  const status = tunebook(["search", "status", searchDir, "--json"], dir);
  assert.equal(status.code, 0, status.err);
  const rows = JSON.parse(status.out);
  assert.equal(rows.length, 2);
  assert.deepEqual(Object.keys(rows[0]).slice(0, 4), ["trial", "state", "loss", "best_step"]);
  const complete = rows.filter((row: { state: string }) => row.state === "complete");
  for (let i = 1; i < complete.length; i++) assert.ok(complete[i - 1].loss <= complete[i].loss, "best first");
  const table = tunebook(["search", "status", searchDir], dir);
  assert.match(table.out, /trial\s+state\s+loss/);
});

test("a bad search block fails before any folder, naming the setting", async () => {
  const bad = SEARCH_BLOCK.replace("lora.r: [2, 4]", "lora.rank: [2, 4]");
  const dir = await workspace(bad);
  const r = tunebook(["search", "--config", "exp.yaml"], dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.err, /lora\.rank: unknown setting; did you mean 'lora\.r'\?/);
  const none = await workspace("");
  const missing = tunebook(["search", "--config", "exp.yaml"], none);
  assert.match(missing.err, /expected a `search:` block/);
  assert.equal(fs.existsSync(path.join(dir, "runs")), false);
});
