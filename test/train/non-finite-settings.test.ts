/**
 * A setting that is not a finite number (`1e400`, `Infinity`, `.inf`, `NaN`) is refused before anything runs,
 * named with its value as written and the allowed range — through the TypeScript builder, LoRAConfig and the CLI.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Experiment, LoRAConfig } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot } from "./fixtures";

test("the builder refuses Infinity and NaN, naming the camelCase setting and its range", async () => {
  const root = experimentsRoot();
  const exp = Experiment.create({ name: "inf", root })
    .backbone("no/such-model")
    .dataset(arithmeticDataset())
    .train({ learningRate: Number.POSITIVE_INFINITY, maxGradNorm: Number.NaN, epochs: 1 });
  const check = (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(
      e.message,
      /in Experiment:\n {2}- training\.learningRate: Infinity is not a finite number; expected a number > 0 and ≤ 1\n/,
    );
    assert.match(e.message, /training\.maxGradNorm: NaN is not a finite number; expected a number ≥ 0$/);
    return true;
  };
  assert.throws(() => exp.config, check);
  await assert.rejects(exp.fit({ display: false }), check);
  assert.deepEqual(fs.existsSync(root) ? fs.readdirSync(root) : [], [], "no experiment folder is left");
  assert.throws(
    () => new LoRAConfig({ alpha: Number.POSITIVE_INFINITY }),
    /in LoRAConfig:\n {2}- alpha: Infinity is not a finite number; expected a number > 0 and ≤ 4096/,
  );
});

test("`tunebook train` names a YAML .inf and a --set 1e400 as written", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-inf-"));
  fs.writeFileSync(
    path.join(dir, "exp.yaml"),
    "architecture:\n  backbone: x\ntraining:\n  max_grad_norm: .inf\n",
  );
  const bin = path.resolve("dist/sdk/cli/main.js");
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8" });
  const fromFile = run("train", "-c", "exp.yaml", "--dry-run");
  assert.equal(fromFile.status, 1, fromFile.stderr);
  assert.match(
    fromFile.stderr,
    /Invalid configuration in exp\.yaml:\n {2}- training\.max_grad_norm: \.inf is not a finite number; expected a number ≥ 0\n/,
  );
  fs.writeFileSync(path.join(dir, "exp.yaml"), "architecture:\n  backbone: x\n");
  const fromSet = run("train", "-c", "exp.yaml", "--set", "training.learning_rate=1e400", "--dry-run");
  assert.equal(fromSet.status, 1, fromSet.stderr);
  assert.match(
    fromSet.stderr,
    /in overrides:\n {2}- training\.learning_rate: 1e400 is not a finite number \(too large for a 64-bit number: it reads as Infinity\); expected a number > 0 and ≤ 1\n/,
  );
  assert.doesNotMatch(fromSet.stderr, /got null|\n\s+at /);
});
