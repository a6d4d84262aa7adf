// End to end: the dataset/tokenizer settings of a YAML config (H2O LLM Studio's meanings) reach the tokenized
// training data through the same path `fit()` takes (datasetFromConfig → Dataset.prepare with tokenizeOptions),
// and data_sample applies to a Dataset passed in code too.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { TokenizedDataset } from "../../sdk/data";
import {
  datasetFromConfig,
  Experiment,
  type ExperimentConfig,
  LoRAConfig,
  tokenizeOptions,
} from "../../sdk/train";
import { makeTokenizer } from "../data/fixtures/test-tokenizer";
import { arithmeticDataset, experimentsRoot, fitCompleted, tinyLlama } from "./fixtures";

const tok = makeTokenizer();
const enc = (text: string) => tok.encode(text, { addSpecialTokens: false });
const BOS = tok.idOf("<s>");
const EOS = tok.idOf("<|endoftext|>");
const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-settings-"));
const trainFile = path.join(dir, "threads.csv");
writeFileSync(
  trainFile,
  [
    "id,parent_id,system,prompt,answer",
    "1,,Be brief and precise.,What is the capital of Texas?,Austin is the capital of Texas",
    "2,1,,And its largest city?,Houston",
    "3,,Be brief and precise.,What is the capital of Ohio?,Columbus",
  ].join("\n"),
);

/** Writes a YAML config (snake_case, as users write it) and reads it back through Experiment.fromConfig. */
function configFromYaml(dataset: string, tokenizer: string): ExperimentConfig {
  const file = path.join(dir, `exp-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `architecture:\n  backbone: ./unused-model\n` +
      `dataset:\n  train_file: ${JSON.stringify(trainFile)}\n  system_column: system\n  id_column: id\n` +
      `  parent_id_column: parent_id\n  validation_size: 0\n${dataset}` +
      `tokenizer:\n  max_length: 512\n${tokenizer}`,
  );
  return Experiment.fromConfig(file).config;
}

async function trainData(config: ExperimentConfig): Promise<TokenizedDataset> {
  const data = await datasetFromConfig(config);
  const { train } = await data.prepare({ tokenizer: tok, ...tokenizeOptions(config) });
  return train;
}

const plain = (t: TokenizedDataset) => t.examples.map((e) => ({ ids: [...e.ids], target: [...e.target] }));
const expected = (...parts: [number[], boolean][]) => ({
  ids: parts.flatMap(([ids]) => ids),
  target: parts.flatMap(([ids, train]) => ids.map(() => (train ? 1 : 0))),
});
const system = enc("<|system|>Be brief and precise.");
const texas = enc("<|prompt|>What is the capital of Texas?");
const city = enc("<|prompt|>And its largest city?");
const ohio = enc("<|prompt|>What is the capital of Ohio?");
const answer = enc("<|answer|>");
const austin = enc("Austin is the capital of Texas");
const houston = enc("Houston");
const columbus = enc("Columbus");

test("defaults: every row of a chain ends a sample, EOS after system, prompt and answer", async () => {
  const config = configFromYaml("", "");
  assert.equal(config.dataset.limitChainedSamples, false);
  const train = await trainData(config);
  assert.deepEqual(
    train.examples.map((e) => e.row),
    [1, 2, 3],
  );
  const sys: [number[], boolean] = [[BOS, ...system, EOS], false];
  assert.deepEqual(plain(train), [
    expected(sys, [[...texas, EOS, ...answer], false], [[...austin, EOS], true]),
    expected(
      sys,
      [[...texas, EOS, ...answer], false],
      [[...austin, EOS], true],
      [[...city, EOS, ...answer], false],
      [[...houston, EOS], true],
    ),
    expected(sys, [[...ohio, EOS, ...answer], false], [[...columbus, EOS], true]),
  ]);
});

test("limit_chained_samples, add_eos_token_to_*, max_length_prompt/answer from YAML change the tokens", async () => {
  const config = configFromYaml(
    "  limit_chained_samples: true\n",
    "  add_eos_token_to_system: false\n  add_eos_token_to_prompt: false\n" +
      "  max_length_prompt: 7\n  max_length_answer: 3\n",
  );
  const train = await trainData(config);
  assert.deepEqual(
    train.examples.map((e) => e.row),
    [2, 3],
  );
  const last7 = (xs: number[]) => xs.slice(-7);
  const sys: [number[], boolean] = [[BOS, ...system.slice(0, 7)], false];
  assert.deepEqual(plain(train), [
    expected(
      sys,
      [last7([...texas, ...answer]), false],
      [austin.slice(0, 3), true],
      [last7([...city, ...answer]), false],
      [[...houston, EOS].slice(0, 3), true],
    ),
    expected(sys, [last7([...ohio, ...answer]), false], [[...columbus, EOS].slice(0, 3), true]),
  ]);
});

test("data_sample_choice: data_sample applies only to the named parts, after the split", async () => {
  const file = path.join(dir, "many.csv");
  const rows = Array.from({ length: 40 }, (_, i) => `question ${i},answer ${i}`);
  writeFileSync(file, ["prompt,answer", ...rows].join("\n"));
  const split = async (extra: Record<string, unknown>) => {
    const config = Experiment.fromConfig({
      architecture: { backbone: "./unused-model" },
      dataset: { train_file: file, validation_size: 0.25, ...extra },
      environment: { seed: 5 },
    }).config;
    const { train, validation } = await (await datasetFromConfig(config)).prepare({
      tokenizer: tok,
      ...tokenizeOptions(config),
    });
    return { train: train.examples.map((e) => e.row), validation: validation?.examples.map((e) => e.row) };
  };
  const full = await split({});
  assert.deepEqual([full.train.length, full.validation?.length], [30, 10]);
  const trainOnly = await split({ data_sample: 0.5, data_sample_choice: ["train"] });
  assert.deepEqual(trainOnly.validation, full.validation);
  assert.equal(trainOnly.train.length, 15);
  assert.ok(trainOnly.train.every((r) => full.train.includes(r)));
  const validationOnly = await split({ data_sample: 0.5, data_sample_choice: ["validation"] });
  assert.deepEqual(validationOnly.train, full.train);
  assert.equal(validationOnly.validation?.length, 5);
  const both = await split({ data_sample: 0.5 });
  assert.deepEqual([both.train, both.validation], [trainOnly.train, validationOnly.validation]);
});

test("data_sample also applies to a Dataset passed in code", async () => {
  const steps = async (dataSample: number) => {
    const run = await fitCompleted(
      Experiment.create({ root: experimentsRoot() })
        .backbone(await tinyLlama())
        .dataset(arithmeticDataset(), { dataSample })
        .lora(new LoRAConfig({ r: 2, alpha: 4, targetModules: ["q_proj"] }))
        .train({ epochs: 1, batchSize: 4 }),
    );
    return run.step;
  };
  // 32 rows, 8 held out: 24 training rows = 6 steps of 4; half of each split: 12 rows = 3 steps.
  assert.deepEqual([await steps(1), await steps(0.5)], [6, 3]);
});
