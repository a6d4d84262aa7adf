/**
 * LoRA target modules that match nothing: `Backbone.load` and `tunebook train` say which names matched no
 * module and list the model's linear module names (assets/tiny-llama), whether no target or only some match;
 * names that match (a short name, a dotted suffix, lm_head, "all-linear") load.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Backbone } from "../../sdk/models";

const TINY = path.resolve("assets/tiny-llama");
const BIN = path.resolve("dist/sdk/cli/main.js");
const NAMES = "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head";

function foldersIn(root: string): string[] {
  return fs.existsSync(root) ? fs.readdirSync(root) : [];
}

test("no target matched: the error names the targets and lists the linear modules; nothing is left behind", async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-lora-targets-"));
  await assert.rejects(
    Backbone.load(TINY, { lora: { targetModules: ["foo_proj"] }, cacheDir }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues[0].path, ["lora", "targetModules"]);
      assert.match(e.message, /no module matched foo_proj\./);
      assert.ok(e.message.includes(`linear modules are ${NAMES};`), e.message);
      assert.match(e.message, /"all-linear"/);
      return true;
    },
  );
  assert.deepEqual(foldersIn(cacheDir), [], "the model folder of the failed load is removed");
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

test("some targets matched: the error names those that did not", async () => {
  await assert.rejects(
    Backbone.load(TINY, { lora: { targetModules: ["q_proj", "foo_proj", "v_prj"] } }),
    /foo_proj, v_prj matched no module \(q_proj did\)\. This model's linear modules are q_proj, k_proj/,
  );
});

test("short names, dotted suffixes, lm_head and all-linear load", async () => {
  for (const targetModules of [["self_attn.q_proj", "mlp.down_proj", "lm_head"], "all-linear"] as const) {
    const b = await Backbone.load(TINY, { lora: { targetModules: targetModules as never } });
    try {
      assert.ok((b.lora?.tensors().size ?? 0) > 0);
    } finally {
      await b.dispose();
    }
  }
});

test("`tunebook train` with lora.target_modules=[foo_proj] says no module matched and lists them", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-lora-cli-"));
  try {
    fs.writeFileSync(path.join(dir, "train.csv"), 'question,answer\n"a?",b\n"c?",d\n"e?",f\n"g?",h\n');
    const config = [
      "architecture:",
      `  backbone: ${TINY}`,
      "dataset:",
      "  train_file: train.csv",
      "  prompt_column: question",
      "  answer_column: answer",
      "  validation_size: 0.25",
      "training:",
      "  epochs: 1",
      "  batch_size: 2",
      "logging:",
      "  output_dir: runs",
    ];
    fs.writeFileSync(path.join(dir, "exp.yaml"), `${config.join("\n")}\n`);
    const r = spawnSync(
      process.execPath,
      [BIN, "train", "-c", "exp.yaml", "--set", "lora.target_modules=[foo_proj]"],
      { cwd: dir, encoding: "utf8" },
    );
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stderr, /nothing to train/);
    assert.match(r.stderr, /no module matched foo_proj/);
    assert.ok(r.stderr.includes(NAMES), r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
