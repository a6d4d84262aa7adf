// Dataset.sample({ splits }) — H2O LLM Studio's data_sample_choice: split first, then sample only the named parts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeTokenizer } from "../../test/data/fixtures/test-tokenizer";
import { Dataset } from "./dataset";

const tokenizer = makeTokenizer();
const records = Array.from({ length: 40 }, (_, i) => ({ prompt: `question ${i}`, answer: `answer ${i}` }));
const rows = (d: { examples: readonly { row: number }[] } | undefined) =>
  (d?.examples ?? []).map((e) => e.row);
const isSubset = (small: number[], big: number[]) => small.every((r) => big.includes(r));

async function parts(data: Dataset) {
  const { train, validation } = await data.prepare({ tokenizer });
  return { train: rows(train), validation: rows(validation) };
}

test("splits: the sample covers only the named parts, taken after the validation split", async () => {
  const base = Dataset.fromRecords(records).validation({ size: 0.25, seed: 3 });
  const full = await parts(base);
  assert.deepEqual([full.train.length, full.validation.length], [30, 10]);
  const sample = (splits: ("train" | "validation")[]) =>
    parts(base.sample({ fraction: 0.5, seed: 9, splits }));

  const trainOnly = await sample(["train"]);
  assert.deepEqual(trainOnly.validation, full.validation);
  assert.equal(trainOnly.train.length, 15);
  assert.ok(isSubset(trainOnly.train, full.train));

  const validationOnly = await sample(["validation"]);
  assert.deepEqual(validationOnly.train, full.train);
  assert.equal(validationOnly.validation.length, 5);
  assert.ok(isSubset(validationOnly.validation, full.validation));

  const both = await sample(["train", "validation"]);
  assert.deepEqual(both.train, trainOnly.train);
  assert.deepEqual(both.validation, validationOnly.validation);

  assert.deepEqual(await sample([]), full);
});

test("without splits the sample is taken before the split, as before", async () => {
  const data = Dataset.fromRecords(records).sample({ fraction: 0.5, seed: 9 }).validation({ size: 0.2 });
  const { train, validation } = await parts(data);
  const kept = data.examples().map((e) => e.row);
  assert.equal(kept.length, 20);
  assert.deepEqual(
    [...train, ...validation].sort((a, b) => a - b),
    kept,
  );
  assert.equal(validation.length, 4);
});

test("a validation dataset is sampled only when validation is named", async () => {
  const other = Dataset.fromRecords(records.slice(0, 10));
  const base = Dataset.fromRecords(records).validation({ dataset: other });
  const withVal = await parts(base.sample({ fraction: 0.5, seed: 1, splits: ["train", "validation"] }));
  assert.deepEqual([withVal.train.length, withVal.validation.length], [20, 5]);
  const trainOnly = await parts(base.sample({ fraction: 0.5, seed: 1, splits: ["train"] }));
  assert.deepEqual(
    trainOnly.validation,
    Array.from({ length: 10 }, (_, i) => i + 1),
  );
  assert.throws(() => base.sample({ fraction: 0.5, splits: ["test" as "train"] }), /splits/);
});
