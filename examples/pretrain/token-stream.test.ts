// Pretraining batches: shifted labels, seeded windows, non-overlapping validation windows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { trainingBatches, validationBatches, windowBatch } from "./token-stream";

const stream = Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 97);

test("a window batch predicts each next token at every position", () => {
  const b = windowBatch([stream.subarray(10, 15), stream.subarray(500, 505)], 3);
  assert.equal(b.batchSize, 2);
  assert.equal(b.seqLen, 4);
  assert.equal(b.numTargetTokens, 8);
  for (let r = 0; r < 2; r++) {
    const start = r === 0 ? 10 : 500;
    for (let t = 0; t < 4; t++) {
      assert.equal(b.inputIds[r * 4 + t], BigInt(stream[start + t]));
      assert.equal(b.labels[r * 4 + t], BigInt(stream[start + t + 1]));
      assert.equal(b.positionIds[r * 4 + t], BigInt(t));
    }
  }
  assert.ok(b.attentionMask.every((m) => m === 1n));
});

test("training batches are a function of the seed and respect source weights", () => {
  const sources = [
    { name: "a", tokens: stream, weight: 1 },
    { name: "b", tokens: new Int32Array(1000).fill(-1), weight: 0 },
  ];
  const one = trainingBatches({ sources, batchSize: 4, seqLen: 16, seed: 5 });
  const two = trainingBatches({ sources, batchSize: 4, seqLen: 16, seed: 5 });
  const other = trainingBatches({ sources, batchSize: 4, seqLen: 16, seed: 6 });
  const [x, y, z] = [one(0), two(0), other(0)];
  assert.deepEqual(x.inputIds, y.inputIds);
  assert.notDeepEqual(x.inputIds, z.inputIds);
  assert.ok(
    x.inputIds.every((v) => v >= 0n),
    "a zero-weight source is never drawn",
  );
});

test("validation batches are consecutive non-overlapping windows", () => {
  const batches = validationBatches(stream, { batchSize: 2, seqLen: 9, maxBatches: 100 });
  assert.equal(batches.length, Math.floor(Math.floor(1000 / 10) / 2));
  assert.equal(batches[1].inputIds[0], BigInt(stream[20]));
  assert.equal(batches[0].labels[9 + 8], BigInt(stream[19]));
});
