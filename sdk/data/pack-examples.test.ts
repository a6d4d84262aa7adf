import assert from "node:assert/strict";
import { test } from "node:test";
import { packExamples } from "./pack-examples";
import type { TokenizedExample } from "./tokenize-examples";
import { TokenizedDataset } from "./tokenized-dataset";

const lengthsOf = (rows: TokenizedExample[][]) => rows.map((r) => r.map((ex) => ex.ids.length));
function withLengths(lengths: number[]): TokenizedExample[] {
  return lengths.map((n, i) => ({
    ids: new Int32Array(n).fill(i + 1),
    target: new Uint8Array(n).fill(1),
    row: i + 1,
  }));
}

test("best-fit decreasing: longest first, each into the tightest row that fits, capacity never exceeded", () => {
  const rows = packExamples(withLengths([3, 9, 4, 6, 2, 5, 1]), 10);
  // 9 → new; 6 → new; 5 → new; 4 → the 6 (4 free fits exactly); 3 → the 5; 2 → the 5+3; 1 → the 9.
  assert.deepEqual(lengthsOf(rows), [
    [9, 1],
    [6, 4],
    [5, 3, 2],
  ]);
  // Too long for a row: a row of its own (the batch cuts it to the row length).
  assert.deepEqual(lengthsOf(packExamples(withLengths([12, 3]), 10)), [[12], [3]]);
  assert.throws(() => packExamples([], 0), /capacity must be a positive integer, got 0/);
});

test("packed batches: the same rows every epoch in a seeded order; numBatches fixed; resume yields the tail", () => {
  const lengths = Array.from({ length: 40 }, (_, i) => 3 + ((i * 7) % 11));
  const data = new TokenizedDataset({ examples: withLengths(lengths), maxLength: 24, padTokenId: 0 });
  const rowsOf = (epoch: number, startBatch = 0) =>
    [...data.batches({ batchSize: 3, seed: 5, epoch, startBatch, packing: true })].map((b) => b.rows);
  const e0 = rowsOf(0);
  const e1 = rowsOf(1);
  assert.notDeepEqual(e0, e1, "each epoch has its own order");
  const sorted = (e: number[][][]) =>
    e
      .flat()
      .map((r) => r.join(","))
      .sort();
  assert.deepEqual(sorted(e0), sorted(e1), "the same packed rows");
  assert.deepEqual(rowsOf(1), e1, "the same order on every run");
  assert.deepEqual(rowsOf(1, 2), e1.slice(2), "resume");
  const numBatches = (o: object) => data.batches({ batchSize: 3, packing: true, ...o }).numBatches;
  assert.equal(numBatches({ shuffle: false }), e0.length);
  assert.equal(numBatches({ epoch: 3, seed: 9 }), e0.length);
  // Nearly full rows: the packed tokens fill ≥ 90% of the rows' capacity.
  const total = lengths.reduce((a, b) => a + b, 0);
  const rows = e0.flat().length;
  assert.ok(total / (rows * 24) > 0.9, `fill ${(total / (rows * 24)).toFixed(2)}`);
  for (const b of data.batches({ batchSize: 3, packing: true })) assert.ok(b.seqLen <= 24);
  assert.throws(
    () => data.batches({ batchSize: 40, packing: true, dropLast: true }),
    /at least one full batch of 40 rows, found \d+ packed rows/,
  );
});
