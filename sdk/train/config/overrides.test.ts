import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../errors";
import { applyOverrides } from "./overrides";
import { parseExperimentConfig } from "./parse-config";

const base = parseExperimentConfig({ architecture: { backbone: "./tiny" } });

test("overrides are parsed to each field's type", () => {
  const config = applyOverrides(base, [
    "training.learning_rate=1e-3",
    "training.epochs=3",
    "training.evaluate_before_training=yes",
    "training.seed=7",
    "lora.target_modules=q_proj, k_proj,v_proj",
    "dataset.prompt_column=[instruction, input]",
    "dataset.system_column=system",
    "dataset.train_file=data/2024.csv",
    "logging.name=001",
    "architecture.pretrained_weights=null",
    "training.learningRate=2e-3",
  ]);
  assert.equal(config.training.learningRate, 2e-3);
  assert.equal(config.training.epochs, 3);
  assert.equal(config.training.evaluateBeforeTraining, true);
  assert.equal(config.training.seed, 7);
  assert.deepEqual(config.lora.targetModules, ["q_proj", "k_proj", "v_proj"]);
  assert.deepEqual(config.dataset.promptColumn, ["instruction", "input"]);
  assert.equal(config.dataset.systemColumn, "system");
  assert.equal(config.dataset.trainFile, "data/2024.csv");
  assert.equal(config.logging.name, "001"); // a string field keeps "001", not 1
  assert.equal(config.architecture.pretrainedWeights, null);
  assert.equal(applyOverrides(base, ["lora.target_modules=all-linear"]).lora.targetModules, "all-linear");
  assert.equal(base.training.learningRate, 1e-4, "the input config is not modified");
});

test("unknown paths, groups, malformed overrides and bad values are ConfigErrors", () => {
  assert.throws(
    () => applyOverrides(base, ["training.learning_rat=1", "trainig.epochs=1", "foo", "lora=1"]),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /in overrides/);
      assert.match(
        e.message,
        /training\.learning_rat: unknown setting; did you mean 'training\.learning_rate'\?/,
      );
      assert.match(e.message, /trainig\.epochs: unknown setting; did you mean 'training'\?/);
      assert.match(e.message, /expected key=value, got "foo"/);
      assert.match(e.message, /lora: is a settings group/);
      return true;
    },
  );
  assert.throws(
    () => applyOverrides(base, ["lora.r=abc"]),
    /lora\.r: expected an integer ≥ 1 and ≤ 1024, got "abc"/,
  );
  assert.throws(() => applyOverrides(base, ["lora.enabled=maybe"]), /lora\.enabled: expected true or false/);
  assert.throws(() => applyOverrides(base, ["training.schedule=step"]), /schedule: expected one of cosine/);
});

test("an override that is not a finite number is named as written with the allowed range", () => {
  assert.throws(
    () =>
      applyOverrides(base, [
        "training.learning_rate=1e400",
        "training.max_grad_norm=Infinity",
        "prediction.top_p=.nan",
        "lora.alpha=-.inf",
      ]),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /training\.learning_rate: 1e400 is not a finite number \(too large for a 64-bit number: it reads as Infinity\); expected a number > 0 and ≤ 1(\n|$)/,
      );
      assert.match(
        e.message,
        /training\.max_grad_norm: Infinity is not a finite number; expected a number ≥ 0(\n|$)/,
      );
      assert.match(
        e.message,
        /prediction\.top_p: \.nan is not a finite number; expected a number > 0 and ≤ 1(\n|$)/,
      );
      assert.match(
        e.message,
        /lora\.alpha: -\.inf is not a finite number; expected a number > 0 and ≤ 4096(\n|$)/,
      );
      assert.equal(e.issues.length, 4);
      return true;
    },
  );
});
