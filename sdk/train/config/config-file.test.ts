import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { ConfigError } from "../../errors";
import { configToPlain, configToYaml, loadConfigFile, saveConfigFile } from "./config-file";
import { parseExperimentConfig } from "./parse-config";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-config-"));
}

const yamlText = `# a hand-written experiment, H2O LLM Studio style
architecture:
  backbone: ./models/tiny-llama
dataset:
  train_file: data/train.csv
  prompt_column: [instruction, input]
  prompt_column_separator: "\\n---\\n"
  system_column: ~
lora:
  r: 16
  target_modules: all-linear
  use_rslora: true
training:
  learning_rate: 2.0e-4
  evaluation_epochs: 0.25
prediction:
  stop_tokens: ["</s>", "<|end|>"]
`;

test("YAML → config → YAML → config is lossless, and the written YAML is stable", async () => {
  const dir = tempDir();
  const file = path.join(dir, "exp.yaml");
  fs.writeFileSync(file, yamlText);
  const config = loadConfigFile(file);
  assert.equal(config.lora.r, 16);
  assert.equal(config.lora.targetModules, "all-linear");
  assert.deepEqual(config.dataset.promptColumn, ["instruction", "input"]);
  assert.equal(config.dataset.promptColumnSeparator, "\n---\n");
  assert.equal(config.training.learningRate, 2e-4);
  const saved = path.join(dir, "saved.yaml");
  await saveConfigFile(saved, config);
  const text = fs.readFileSync(saved, "utf8");
  assert.match(text, /^problem_type: causal_lm\ndataset:\n {2}train_file: data\/train.csv/);
  assert.match(text, /learning_rate: 0\.0002/);
  const again = loadConfigFile(saved);
  assert.deepEqual(again, config);
  assert.equal(configToYaml(again), text);
  // The YAML library (an independent parser) reads our file as the snake_case object we meant.
  assert.deepEqual(YAML.parse(text), configToPlain(config));
  assert.deepEqual(fs.readdirSync(dir).sort(), ["exp.yaml", "saved.yaml"]);
});

test("JSON files load and save the same way", async () => {
  const dir = tempDir();
  const config = parseExperimentConfig({ architecture: { backbone: "b" }, training: { epochs: 3 } });
  const file = path.join(dir, "exp.json");
  await saveConfigFile(file, config);
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(raw.training.epochs, 3);
  assert.equal(raw.training.batch_size, 4);
  assert.deepEqual(loadConfigFile(file), config);
});

test("missing files, syntax errors and bad settings raise ConfigError naming the file", () => {
  const dir = tempDir();
  assert.throws(
    () => loadConfigFile(path.join(dir, "nope.yaml")),
    (e: unknown) => {
      return (
        e instanceof ConfigError && /nope\.yaml/.test(e.message) && /cannot read the file/.test(e.message)
      );
    },
  );
  const broken = path.join(dir, "broken.yaml");
  fs.writeFileSync(broken, "training:\n  epochs: [1, 2\n");
  assert.throws(() => loadConfigFile(broken), /broken\.yaml:\n {2}- \(root\): expected valid YAML/);
  const brokenJson = path.join(dir, "broken.json");
  fs.writeFileSync(brokenJson, "{ nope");
  assert.throws(() => loadConfigFile(brokenJson), /expected valid JSON/);
  const bad = path.join(dir, "bad.yaml");
  fs.writeFileSync(bad, "architecture:\n  backbone: x\ntraining:\n  batch_size: 0\n");
  assert.throws(() => loadConfigFile(bad), /bad\.yaml:\n {2}- training\.batch_size: expected an integer ≥ 1/);
  const empty = path.join(dir, "empty.yaml");
  fs.writeFileSync(empty, "");
  assert.throws(() => loadConfigFile(empty), /architecture: required/);
});

test("numbers in a YAML file that are not finite are named as written, with the allowed range", () => {
  const dir = tempDir();
  const file = path.join(dir, "inf.yaml");
  fs.writeFileSync(
    file,
    "architecture:\n  backbone: x\ntraining:\n  learning_rate: 1e400\n  max_grad_norm: .inf\n" +
      "  epochs: 1e999\nprediction:\n  temperature: .NaN\n  stop_tokens: [a, .inf]\n",
  );
  assert.throws(
    () => loadConfigFile(file),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const lines = e.message.split("\n");
      assert.equal(lines[0], `Invalid configuration in ${file}:`);
      assert.deepEqual(lines.slice(1).sort(), [
        "  - prediction.stop_tokens.1: expected a non-empty string, got .inf",
        "  - prediction.temperature: .NaN is not a finite number; expected a number ≥ 0 and ≤ 10",
        "  - training.epochs: 1e999 is not a finite number (too large for a 64-bit number: it reads as Infinity); expected an integer ≥ 0 and ≤ 1000",
        "  - training.learning_rate: 1e400 is not a finite number (too large for a 64-bit number: it reads as Infinity); expected a number > 0 and ≤ 1",
        "  - training.max_grad_norm: .inf is not a finite number; expected a number ≥ 0",
      ]);
      return true;
    },
  );
});
