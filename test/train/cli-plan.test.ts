/**
 * `tunebook train --config exp.yaml --plan` prints the memory and time plan and stops without loading or creating
 * anything; when the run would not fit it exits 1 naming the settings that would.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { childEnv, cliWorkspace, tunebook } from "../support/cli-workspace";

test("train --plan prints the plan and creates nothing; a plan over the memory limit exits 1 with the fix", async () => {
  const dir = await cliWorkspace({ settings: { "training.batch_size": 8, "tokenizer.max_length": 256 } });
  const before = fs.readdirSync(dir).sort();
  const ok = tunebook(["train", "-c", "exp.yaml", "--plan"], dir);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^memory and time plan \(B 8, T 256, float32, LoRA r \d+/);
  assert.match(ok.out, /frozen weights \(float32\) +\d+ MB/);
  assert.match(ok.out, /peak +\d+ MB +of [\d.]+ [MG]B \(/);
  assert.match(ok.out, /step ≈ [\d.]+ s: \d+ GFLOP per micro-batch at \d+ GFLOP\/s/);
  assert.deepEqual(fs.readdirSync(dir).sort(), before, "nothing written");
  const peakMb = Number(/peak +(\d+) MB/.exec(ok.out)?.[1]);
  const env = childEnv({ TUNEBOOK_MEMORY_LIMIT_MB: String(peakMb - 2) });
  const refused = tunebook(["train", "-c", "exp.yaml", "--plan"], dir, { env });
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.out, /It would fit with training\.batch_size=4 training\.grad_accumulation=\d+/);
  assert.match(refused.err, /error: Cannot start the experiment: the run needs about \d+ MB at its peak/);
  const run = tunebook(["train", "-c", "exp.yaml"], dir, { env });
  assert.equal(run.code, 1);
  assert.match(run.err, /It would fit with/);
  assert.equal(fs.existsSync(path.join(dir, "runs")), false, "no experiment folder");
});
