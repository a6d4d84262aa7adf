/**
 * LoRA target modules that match nothing: `Backbone.load` and `tunebook train` say which names matched no
 * module and list the model's linear module names (assets/tiny-llama), whether no target or only some match;
 * names that match (a short name, a dotted suffix, lm_head, "all-linear") load.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Backbone } from "../../sdk/models";
import { cliWorkspace, tunebook } from "../support/cli-workspace";

const TINY = path.resolve("assets/tiny-llama");
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

test("`tunebook train` with lora.target_modules=[foo_proj] says no module matched and lists them", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-lora-cli-"));
  try {
    await cliWorkspace({
      dir,
      backbone: TINY,
      records: ["a", "c", "e", "g"].map((q, i) => ({ question: `${q}?`, answer: "bdfh"[i]! })),
      settings: {
        "lora.r": null,
        "lora.target_modules": null,
        "training.batch_size": 2,
        "environment.threads": null,
        "logging.name": null,
      },
    });
    const r = tunebook(["train", "-c", "exp.yaml", "--set", "lora.target_modules=[foo_proj]"], dir, {
      env: process.env,
    });
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.err, /nothing to train/);
    assert.match(r.err, /no module matched foo_proj/);
    assert.ok(r.err.includes(NAMES), r.err);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
