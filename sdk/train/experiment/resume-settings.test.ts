import assert from "node:assert/strict";
import { test } from "node:test";
import { applyOverrides, parseExperimentConfig } from "../config";
import { compareResumeSettings } from "./resume-settings";

const base = parseExperimentConfig({ architecture: { backbone: "./tiny" }, training: { epochs: 2 } });
const at = { step: 6, totalSteps: 18 };
const compare = (overrides: string[], recorded = base) =>
  compareResumeSettings(recorded, applyOverrides(recorded, overrides), at);

test("settings that cannot change the trained values are honoured, every other change is refused", () => {
  const safe = compare([
    "training.evaluation_epochs=0.5",
    "training.save_checkpoint=best",
    "logging.log_every_n_steps=1",
    "prediction.max_new_tokens=8",
    "environment.threads=2",
  ]);
  assert.deepEqual(safe.honoured.map((c) => c.setting).sort(), [
    "environment.threads",
    "logging.log_every_n_steps",
    "prediction.max_new_tokens",
    "training.evaluation_epochs",
    "training.save_checkpoint",
  ]);
  assert.deepEqual(safe.refused, []);
  const unsafe = compare([
    "training.learning_rate=0.001",
    "lora.target_modules=q_proj",
    "tokenizer.max_length=64",
    "logging.name=other",
    "environment.seed=3",
  ]);
  assert.deepEqual(unsafe.honoured, []);
  const byName = Object.fromEntries(unsafe.refused.map((c) => [c.setting, c]));
  assert.deepEqual(Object.keys(byName).sort(), [
    "environment.seed",
    "logging.name",
    "lora.target_modules",
    "tokenizer.max_length",
    "training.learning_rate",
  ]);
  assert.equal(byName["training.learning_rate"].checkpoint, 0.0001);
  assert.equal(byName["training.learning_rate"].now, 0.001);
  assert.deepEqual(byName["lora.target_modules"].now, ["q_proj"]);
  assert.match(byName["tokenizer.max_length"].reason, /training data/);
});

test("epochs may change only with a constant schedule, and not below the checkpoint's step", () => {
  assert.match(compare(["training.epochs=4"]).refused[0].reason, /cosine schedule/);
  const constant = applyOverrides(base, ["training.schedule=constant"]);
  assert.deepEqual(
    compare(["training.epochs=4"], constant).honoured.map((c) => [c.setting, c.checkpoint, c.now]),
    [["training.epochs", 2, 4]],
  );
  // 9 steps per epoch: 1 epoch ends at step 9, after the checkpoint's step 6; 0 epochs would end before it.
  assert.equal(compare(["training.epochs=1"], constant).refused.length, 0);
  assert.match(compare(["training.epochs=0"], constant).refused[0].reason, /at step 6.*only 0 steps/);
});
