/**
 * Samples far longer than `maxLength` through the real readers and the tiny model's real tokenizer: a
 * 200k-token answer in a JSONL file, a 200k-token raw text, a 5 MB CSV cell. Each is truncated per the
 * settings (no `Maximum call stack size exceeded`), and the `truncated` warning reaches the user: stderr when
 * no handler is given, and the CLI's stderr during `tunebook train`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Dataset, type DatasetWarning } from "../../sdk/data";
import { loadTokenizer, type Tokenizer } from "../../sdk/models/tokenizer";
import { cliWorkspace, onlyExperiment, tunebook } from "../support/cli-workspace";

const TINY = path.resolve("assets/tiny-llama");
const SENTENCE = "Call me Ishmael. Some years ago, never mind how long precisely, I went to sea. ";

let tokenizer: Tokenizer | undefined;
const tok = async () => {
  tokenizer ??= await loadTokenizer({ dir: TINY });
  return tokenizer;
};

/** A text of at least `n` tokens under the tiny tokenizer. */
async function longText(n: number): Promise<string> {
  const t = await tok();
  const perSentence = t.encode(SENTENCE, { addSpecialTokens: false }).length;
  return SENTENCE.repeat(Math.ceil((1.2 * n) / perSentence));
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-long-"));

test("a 200k-token answer read from JSONL is cut to maxLength, and the warning names its row", async () => {
  const t = await tok();
  const answer = await longText(200_000);
  assert.ok(t.encode(answer, { addSpecialTokens: false }).length > 200_000);
  const file = path.join(tmp(), "long.jsonl");
  const rows = [
    { prompt: "Say hi.", answer: "hi" },
    { prompt: "Recite the book.", answer },
    { prompt: "Say bye.", answer: "bye" },
  ];
  fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  const warnings: DatasetWarning[] = [];
  const data = (await Dataset.fromJsonl(file)).columns({ prompt: "prompt", answer: "answer" });
  const { examples } = data.tokenize({ tokenizer: t, maxLength: 256, onWarning: (w) => warnings.push(w) });
  assert.deepEqual(
    examples.map((e) => [e.row, e.ids.length <= 256]),
    [
      [1, true],
      [2, true],
      [3, true],
    ],
  );
  const long = examples[1];
  assert.equal(long.ids.length, 256);
  // The answer alone exceeds the budget: half the budget of prompt, then the answer's beginning.
  const kept = t.decode([...long.ids].filter((_, i) => long.target[i] === 1));
  assert.ok(answer.startsWith(kept.slice(0, 200)), kept.slice(0, 80));
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].code, "truncated");
  assert.deepEqual([warnings[0].count, warnings[0].rows], [1, [2]]);
  assert.match(warnings[0].message, /1 of 3 examples were longer than maxLength 256/);
});

test("a 200k-token raw text is split into maxLength chunks that add up to its encoding", async () => {
  const t = await tok();
  const text = await longText(200_000);
  const file = path.join(tmp(), "text.jsonl");
  fs.writeFileSync(file, `${JSON.stringify({ text })}\n`);
  const warnings: DatasetWarning[] = [];
  const data = (await Dataset.fromJsonl(file)).columns({ text: "text" });
  const { examples } = data.tokenize({ tokenizer: t, maxLength: 1024, onWarning: (w) => warnings.push(w) });
  const whole = [
    ...(t.bosTokenId === undefined ? [] : [t.bosTokenId]),
    ...t.encode(text, { addSpecialTokens: false }),
    ...(t.eosTokenId === undefined ? [] : [t.eosTokenId]),
  ];
  assert.ok(examples.every((e) => e.ids.length <= 1024));
  assert.equal(examples.length, Math.ceil(whole.length / 1024) - (whole.length % 1024 === 1 ? 1 : 0));
  const joined = examples.flatMap((e) => [...e.ids]);
  assert.deepEqual(joined, whole.slice(0, joined.length));
  assert.deepEqual(
    warnings.map((w) => [w.code, w.count]),
    [["truncated", 1]],
  );
});

test("a 5 MB CSV cell is read whole and truncated when tokenized", async () => {
  const t = await tok();
  const cell = SENTENCE.repeat(Math.ceil((5 * 1024 * 1024) / SENTENCE.length));
  const file = path.join(tmp(), "big.csv");
  fs.writeFileSync(file, `question,answer\nhi,hello\nRecite it.,"${cell}"\n`);
  const data = (await Dataset.fromCsv(file)).columns({ prompt: "question", answer: "answer" });
  assert.equal((data.records[1].answer as string).length, cell.length);
  const warnings: DatasetWarning[] = [];
  const { examples } = data.tokenize({ tokenizer: t, maxLength: 512, onWarning: (w) => warnings.push(w) });
  assert.deepEqual(
    examples.map((e) => e.ids.length),
    [examples[0].ids.length, 512],
  );
  assert.ok(examples[0].ids.length < 512);
  assert.deepEqual(
    warnings.map((w) => [w.code, w.rows]),
    [["truncated", [2]]],
  );
  assert.match(data.head(2).toString(), /Call me Ishmael.{40,}…/);
});

test("without onWarning the truncation warning is printed to stderr", async () => {
  const dir = tmp();
  const file = path.join(dir, "long.jsonl");
  fs.writeFileSync(file, `${JSON.stringify({ prompt: "Recite.", answer: await longText(200_000) })}\n`);
  const script = [
    `const { Dataset } = require(${JSON.stringify(path.resolve("dist/sdk/data"))});`,
    `const { loadTokenizer } = require(${JSON.stringify(path.resolve("dist/sdk/models/tokenizer"))});`,
    "(async () => {",
    `  const tokenizer = await loadTokenizer({ dir: ${JSON.stringify(TINY)} });`,
    `  const data = await Dataset.fromJsonl(${JSON.stringify(file)});`,
    "  const { train } = await data.prepare({ tokenizer, maxLength: 64 });",
    "  console.log(train.examples[0].ids.length);",
    "})().catch((e) => { console.error(e.stack); process.exit(1); });",
  ].join("\n");
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "64");
  assert.match(r.stderr, /^warning: 1 of 1 examples were longer than maxLength 64 tokens/m);
});

test("tunebook train shows the truncation warning on stderr and in logs.txt", async () => {
  const dir = tmp();
  const rows = [
    { question: "Recite the book.", answer: await longText(200_000) },
    ...Array.from({ length: 7 }, (_, i) => ({ question: `What is ${i} plus 1?`, answer: `${i + 1}` })),
  ];
  await cliWorkspace({
    dir,
    backbone: TINY,
    records: false,
    files: { "train.jsonl": `${rows.map((r) => JSON.stringify(r)).join("\n")}\n` },
    settings: { "dataset.train_file": "train.jsonl", "tokenizer.max_length": 64, "logging.name": "long" },
  });
  const r = tunebook(["train", "--config", "exp.yaml"], dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /warn: 1 of \d examples were longer than maxLength 64 tokens/);
  const logs = fs.readFileSync(path.join(onlyExperiment(path.join(dir, "runs")), "logs.txt"), "utf8");
  assert.match(logs, /examples were longer than maxLength 64 tokens/);
});
