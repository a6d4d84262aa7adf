/**
 * Settings the trainer does not implement yet are refused before any folder is created or model loaded, each
 * with a message naming the setting and the fix — none is silently ignored, and `tunebook train --dry-run`
 * refuses them too.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs, { readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Experiment } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot } from "./fixtures";

const cases: [Record<string, Record<string, unknown>>, RegExp][] = [
  [
    { augmentation: { skipParentProbability: 0.2 } },
    /augmentation.skip_parent_probability .* not supported yet/,
  ],
  [
    { architecture: { backboneDtype: "int4" }, environment: { device: "cuda" } },
    /backbone_dtype "int4" is not available on the cuda execution provider.*float32/,
  ],
  [
    { architecture: { intermediateDropout: 0.1 } },
    /intermediate_dropout 0.1 is not supported yet.*lora.dropout/,
  ],
];

test("unsupported settings are refused before any folder is created, naming the fix", async () => {
  for (const [settings, message] of cases) {
    const root = experimentsRoot();
    const exp = Experiment.fromConfig({
      ...settings,
      architecture: { backbone: "no/such-model", ...settings.architecture },
      logging: { outputDir: root },
    }).dataset(arithmeticDataset());
    await assert.rejects(exp.fit({ display: false }), (e: Error) => {
      assert.equal(e.name, "TunebookExperimentSetupError", e.message);
      assert.match(e.message, message);
      return true;
    });
    assert.deepEqual(readdirSync(root), [], JSON.stringify(settings));
  }
});

test("tunebook train --dry-run refuses the settings train refuses, with the same message", () => {
  const dir = experimentsRoot();
  fs.writeFileSync(path.join(dir, "exp.yaml"), "architecture:\n  backbone: ./tiny\n");
  const bin = path.resolve("dist/sdk/cli/main.js");
  for (const [set, message] of [
    ["architecture.intermediate_dropout=0.1", /intermediate_dropout 0.1 is not supported yet/],
    ["augmentation.skip_parent_probability=0.2", /skip_parent_probability .* not supported yet/],
  ] as const) {
    const r = spawnSync(process.execPath, [bin, "train", "-c", "exp.yaml", "--set", set, "--dry-run"], {
      cwd: dir,
      encoding: "utf8",
    });
    assert.equal(r.status, 1, `${set}: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "", "no configuration is printed");
  }
});
