import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { parseExperimentConfig } from "../train/config";
import { ExperimentStore } from "../train/store";
import { createProgram } from "./program";
import { EXIT } from "./run-action";

// The built binary, as users run it (CI builds before testing; run `npx tsc -p tsconfig.json` first locally).
const BIN = path.resolve("dist/sdk/cli/main.js");

function tunebook(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-cli-"));
}

test("the binary starts with a node shebang and prints help listing every command", () => {
  assert.match(fs.readFileSync(BIN, "utf8"), /^#!\/usr\/bin\/env node\n/);
  const r = tunebook(["--help"], tempDir());
  assert.equal(r.code, 0, r.err);
  for (const cmd of ["train", "eval", "generate", "export", "serve", "kernel", "experiments"]) {
    assert.match(r.out, new RegExp(`\\n  ${cmd}\\b`), `help lacks ${cmd}`);
  }
  assert.match(tunebook(["train", "--help"], tempDir()).out, /--set <key=value>/);
});

test("train with a bad config exits 1 naming the fields, without a stack trace", () => {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, "exp.yaml"),
    "architecture:\n  backbone: x\ntraining:\n  learning_rate: -1\n  epohcs: 2\n",
  );
  const r = tunebook(["train", "--config", "exp.yaml"], dir);
  assert.equal(r.code, 1);
  assert.match(r.err, /Invalid configuration in exp\.yaml/);
  assert.match(r.err, /training\.learning_rate: expected a number > 0 and ≤ 1, got -1/);
  assert.match(r.err, /training\.epohcs: unknown setting 'epohcs'; did you mean 'epochs'\?/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  const missing = tunebook(
    ["train", "--config", "exp.yaml", "--set", "training.learning_rate=1e-4", "--set", "training.epohcs=1"],
    dir,
  );
  assert.equal(missing.code, 1);
  assert.match(missing.err, /epohcs/);
  fs.writeFileSync(
    path.join(dir, "data.yaml"),
    "architecture:\n  backbone: x\ndataset:\n  train_file: nope.csv\n",
  );
  const noData = tunebook(["train", "-c", "data.yaml"], dir);
  assert.equal(noData.code, 1);
  assert.match(noData.err, /dataset\.train_file: expected an existing file, got "nope\.csv"/);
  assert.equal(tunebook(["train", "-c", "absent.yaml"], dir).code, 1);
});

test("train --dry-run prints the resolved config with overrides as YAML", () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, "exp.yaml"), "architecture:\n  backbone: ./tiny\n");
  const r = tunebook(
    ["train", "-c", "exp.yaml", "--set", "lora.r=4", "-s", "training.schedule=linear", "--dry-run"],
    dir,
  );
  assert.equal(r.code, 0, r.err);
  const printed = parseExperimentConfig(YAML.parse(r.out));
  assert.equal(printed.lora.r, 4);
  assert.equal(printed.training.schedule, "linear");
  assert.equal(printed.architecture.backbone, "./tiny");
});

test("experiments list and compare read a store", async () => {
  const root = tempDir();
  const base = parseExperimentConfig({ architecture: { backbone: "./tiny" } });
  for (const [i, r] of [4, 8].entries()) {
    const config = parseExperimentConfig({ ...base, lora: { ...base.lora, r } });
    const store = await ExperimentStore.create({
      root,
      name: `lora${r}`,
      config,
      now: new Date(2025, 5, 1, i),
    });
    store.appendMetrics([{ type: "eval", step: 10, epoch: 1, loss: 2 - i / 2, metrics: {} }]);
    await store.writeStatus("completed", { step: 10 });
  }
  const list = tunebook(["experiments", "list", "--root", root], tempDir());
  assert.equal(list.code, 0, list.err);
  const lines = list.out.trimEnd().split("\n");
  assert.match(lines[0], /^id\s+status\s+backbone\s+step/);
  assert.match(lines[1], /^lora4-20250601-000000\s+completed\s+\.\/tiny\s+10\s/);
  assert.match(lines[2], /^lora8-20250601-010000\s+completed\s+\.\/tiny\s+10\s.*1\.5$/);
  const json = JSON.parse(tunebook(["experiments", "list", "-r", root, "--json"], root).out);
  assert.deepEqual(
    json.map((e: { id: string; evalLoss: number }) => [e.id, e.evalLoss]),
    [
      ["lora4-20250601-000000", 2],
      ["lora8-20250601-010000", 1.5],
    ],
  );
  const cmp = tunebook(["experiments", "compare", "-r", root], root);
  assert.equal(cmp.code, 0, cmp.err);
  assert.match(
    cmp.out.split("\n")[0],
    /^run\s+lora\.r\s+status\s+step\s+train_loss\s+eval_loss\s+best_eval_loss$/,
  );
  assert.match(tunebook(["experiments", "list", "-r", path.join(root, "none")], root).out, /no experiments/);
});

test("a command whose SDK function is not registered exits 2 with a clear message", async () => {
  const errors: string[] = [];
  for (const argv of [
    ["serve", "m"],
    ["kernel", "list"],
    ["generate", "m", "-p", "hi"],
    ["eval", "e"],
  ]) {
    process.exitCode = undefined;
    const program = createProgram({ handlers: {}, io: { out: () => {}, err: (t) => errors.push(t) } });
    await program.parseAsync(["node", "tunebook", ...argv]);
    assert.equal(process.exitCode, EXIT.notAvailable, argv.join(" "));
  }
  process.exitCode = undefined;
  assert.match(errors[0], /`tunebook serve` is not available yet/);
  assert.match(errors[1], /`tunebook kernel list` is not available yet/);
  let received: unknown;
  const program = createProgram({
    handlers: {
      kernelList: async () => ["tslab"],
      generate: async (i) => {
        received = i;
      },
    },
    io: { out: (t) => errors.push(t), err: (t) => errors.push(t) },
  });
  await program.parseAsync(["node", "tunebook", "kernel", "list"]);
  await program.parseAsync(["node", "tunebook", "generate", "m", "-p", "hi", "-n", "5"]);
  assert.equal(errors.at(-1), "tslab\n");
  assert.deepEqual(
    { ...(received as object), write: undefined },
    { model: "m", prompt: "hi", maxNewTokens: 5, write: undefined },
  );
  assert.equal(process.exitCode, undefined);
});
