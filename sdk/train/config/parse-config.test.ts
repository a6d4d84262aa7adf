import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { ConfigError } from "../../errors";
import { camelToSnake, snakeToCamel } from "./case-mapping";
import { CONFIG_GROUPS, experimentConfigSchema } from "./experiment-schema";
import { parseExperimentConfig } from "./parse-config";
import { describeAllowed, schemaAtPath, unwrapSchema } from "./schema-walk";

const minimal = { architecture: { backbone: "./models/tiny" } };

function errorOf(input: unknown, options = {}): ConfigError {
  try {
    parseExperimentConfig(input, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

test("a minimal config gets every group with documented defaults", () => {
  const config = parseExperimentConfig(minimal);
  assert.deepEqual(Object.keys(config).sort(), ["problemType", ...CONFIG_GROUPS].sort());
  assert.equal(config.training.learningRate, 1e-4);
  assert.equal(config.training.schedule, "cosine");
  assert.deepEqual(config.lora.targetModules, ["q_proj", "v_proj"]);
  assert.equal(config.prediction.numBeams, 1);
  assert.equal(config.logging.outputDir, "./experiments");
  assert.deepEqual(config.dataset.promptColumn, ["prompt"]);
});

test("every schema key survives snake_case → camelCase → snake_case unchanged", () => {
  const walk = (schema: z.ZodTypeAny, out: string[]) => {
    const inner = unwrapSchema(schema).schema;
    if (!(inner instanceof z.ZodObject)) return;
    for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodTypeAny>)) {
      out.push(key);
      walk(field, out);
    }
  };
  const keys: string[] = [];
  walk(experimentConfigSchema, keys);
  assert.ok(keys.length > 80, `only ${keys.length} keys found`);
  for (const key of keys) {
    assert.match(key, /^[a-z][a-zA-Z0-9]*$/, `${key} is not camelCase`);
    assert.equal(snakeToCamel(camelToSnake(key)), key, `${key} does not round-trip`);
  }
});

test("snake_case and camelCase input give the same config; both at once is an error", () => {
  const snake = parseExperimentConfig({
    ...minimal,
    training: { learning_rate: 3e-4, grad_accumulation: 2 },
  });
  const camel = parseExperimentConfig({ ...minimal, training: { learningRate: 3e-4, gradAccumulation: 2 } });
  assert.deepEqual(snake, camel);
  const err = errorOf({ ...minimal, training: { learning_rate: 1, learningRate: 2 } });
  assert.match(err.message, /given twice/);
});

test("a single prompt column string becomes a list", () => {
  const config = parseExperimentConfig({ ...minimal, dataset: { prompt_column: "instruction" } });
  assert.deepEqual(config.dataset.promptColumn, ["instruction"]);
});

// One or more bad values per group: [group, key, value, text the message must contain].
const badValues: [string, string, unknown, RegExp][] = [
  ["dataset", "validation_size", 0.99, /validation_size: expected a number ≥ 0 and ≤ 0\.95, got 0\.99/],
  ["dataset", "data_sample", 0, /data_sample: expected a number > 0 and ≤ 1, got 0/],
  ["dataset", "prompt_column", [], /prompt_column: expected a non-empty list/],
  [
    "dataset",
    "data_sample_choice",
    ["test"],
    /data_sample_choice\.0: expected one of train \| validation, got "test"/,
  ],
  ["dataset", "mask_prompt_labels", "yes", /mask_prompt_labels: expected true or false, got "yes"/],
  ["tokenizer", "max_length", 4, /max_length: expected an integer ≥ 8 and ≤ 1048576, got 4/],
  ["tokenizer", "padding_quantile", 1.5, /padding_quantile: expected a number ≥ 0 and ≤ 1, got 1\.5/],
  [
    "architecture",
    "backbone_dtype",
    "int2",
    /backbone_dtype: expected one of float32 \| bfloat16 \| float16 \| int8 \| int4/,
  ],
  ["lora", "r", 0, /lora\.r: expected an integer ≥ 1 and ≤ 1024, got 0/],
  ["lora", "alpha", -1, /lora\.alpha: expected a number > 0 and ≤ 4096, got -1/],
  [
    "lora",
    "target_modules",
    "all_linear",
    /target_modules: expected exactly "all-linear" or a non-empty list/,
  ],
  ["training", "epochs", 1.5, /training\.epochs: expected an integer ≥ 0 and ≤ 1000, got 1\.5/],
  ["training", "learning_rate", 0, /learning_rate: expected a number > 0 and ≤ 1, got 0/],
  ["training", "schedule", "cosin", /schedule: expected one of cosine \| linear \| constant, got "cosin"/],
  ["training", "adam_beta2", 1, /adam_beta2: expected a number ≥ 0 and < 1, got 1/],
  [
    "training",
    "save_checkpoint",
    "always",
    /save_checkpoint: expected one of best \| last \| each_evaluation \| disable/,
  ],
  [
    "augmentation",
    "token_mask_probability",
    0.95,
    /token_mask_probability: expected a number ≥ 0 and ≤ 0\.9/,
  ],
  ["augmentation", "neftune_noise_alpha", 20, /neftune_noise_alpha: expected a number ≥ 0 and ≤ 15, got 20/],
  ["prediction", "num_beams", 4, /num_beams: expected exactly 1, got 4/],
  ["prediction", "top_p", 0, /top_p: expected a number > 0 and ≤ 1, got 0/],
  [
    "prediction",
    "metric",
    "rouge",
    /metric: expected one of perplexity \| bleu \| llm_judge \| qa_accuracy \| auc/,
  ],
  ["environment", "device", "tpu", /device: expected one of cpu \| cuda, got "tpu"/],
  ["environment", "seed", -2, /environment\.seed: expected an integer ≥ -1, got -2/],
  ["logging", "name", "my run", /logging\.name: expected a string of letters, digits/],
  ["logging", "log_every_n_steps", 0, /log_every_n_steps: expected an integer ≥ 1, got 0/],
  ["grpo", "num_generations", 1, /grpo\.num_generations: expected an integer ≥ 2 and ≤ 1024, got 1/],
  ["grpo", "loss_type", "ppo", /grpo\.loss_type: expected one of dapo \| grpo \| bnpo/],
];

test("bad values in every group name the field, the value and the allowed range", () => {
  const groups = new Set(badValues.map(([g]) => g));
  assert.deepEqual([...groups].sort(), [...CONFIG_GROUPS].sort());
  for (const [group, key, value, expected] of badValues) {
    const base = group === "architecture" ? { backbone: "x" } : {};
    const input = { ...minimal, [group]: { ...base, [key]: value } };
    const err = errorOf(input, { source: "exp.yaml" });
    assert.match(err.message, /in exp\.yaml/);
    assert.match(err.message, expected, `${group}.${key}=${JSON.stringify(value)}: ${err.message}`);
    assert.equal(err.issues.length, 1, err.message);
    assert.deepEqual(err.issues[0].path.slice(0, 2), [group, key]);
  }
});

test("cross-field rules are checked", () => {
  const both = errorOf({ ...minimal, dataset: { messages_column: "messages", text_column: "text" } });
  assert.match(both.message, /dataset\.text_column: set either `messages_column` or `text_column`/);
  const minMax = errorOf({ ...minimal, prediction: { min_new_tokens: 10, max_new_tokens: 5 } });
  assert.match(minMax.message, /min_new_tokens: expected at most max_new_tokens \(5\), got 10/);
});

test("unknown keys are errors with a did-you-mean suggestion; several issues are reported at once", () => {
  const err = errorOf({
    ...minimal,
    trainig: {},
    lora: { rank: 8, use_rs_lora: true },
    prediction: { zzz: 1 },
  });
  assert.match(err.message, /trainig: unknown setting 'trainig'; did you mean 'training'\?/);
  assert.match(err.message, /lora\.use_rs_lora: unknown setting 'use_rs_lora'; did you mean 'use_rslora'\?/);
  assert.match(
    err.message,
    /prediction\.zzz: unknown setting 'zzz'; allowed: metric, metric_sample, judge_model/,
  );
  assert.equal(err.issues.length, 4);
});

test("missing backbone and non-object input are explained; camelCase paths on request", () => {
  assert.match(errorOf({}).message, /architecture: required: a mapping of settings with at least backbone/);
  assert.match(
    errorOf({ architecture: {} }).message,
    /architecture\.backbone: required: a local model directory/,
  );
  assert.match(errorOf([1, 2]).message, /expected a mapping of settings groups/);
  const camel = errorOf({ ...minimal, training: { learningRate: -1 } }, { keyStyle: "camel" });
  assert.match(camel.message, /training\.learningRate: expected a number > 0/);
});

/** Every numeric leaf of the schema, as a camelCase path. */
function numericPaths(schema: z.ZodTypeAny, path: string[] = [], out: string[][] = []): string[][] {
  const inner = unwrapSchema(schema).schema;
  if (inner instanceof z.ZodNumber) out.push(path);
  if (inner instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodTypeAny>)) {
      numericPaths(field, [...path, key], out);
    }
  }
  return out;
}

test("Infinity, -Infinity and NaN are refused for every numeric setting, naming the range", () => {
  const paths = numericPaths(experimentConfigSchema);
  assert.ok(paths.length > 30, `only ${paths.length} numeric settings found`);
  for (const [group, key] of paths) {
    const field = describeAllowed(schemaAtPath(experimentConfigSchema, [group, key])!);
    for (const value of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      const base = group === "architecture" ? { backbone: "x" } : {};
      const err = errorOf({ ...minimal, [group]: { ...base, [key]: value } });
      assert.equal(err.issues.length, 1, err.message);
      assert.deepEqual(err.issues[0].path, [group, camelToSnake(key)]);
      assert.equal(err.issues[0].message, `${value} is not a finite number; expected ${field}`);
    }
  }
  const camel = errorOf(
    { ...minimal, training: { maxGradNorm: Infinity, epochs: -1 } },
    { keyStyle: "camel" },
  );
  assert.match(
    camel.message,
    /training\.maxGradNorm: Infinity is not a finite number; expected a number ≥ 0/,
  );
  assert.match(camel.message, /training\.epochs: expected an integer ≥ 0 and ≤ 1000, got -1/);
});

test("a value written as text that parses to Infinity is shown as written", () => {
  const err = errorOf(
    { ...minimal, training: { learning_rate: Infinity } },
    { writtenValues: new Map([["training.learningRate", "1e400"]]) },
  );
  assert.match(
    err.message,
    /training\.learning_rate: 1e400 is not a finite number \(too large for a 64-bit number: it reads as Infinity\); expected a number > 0 and ≤ 1/,
  );
});
