/**
 * Token masking: about p of the real input tokens become the mask id, padding and labels are untouched, and
 * the mask is a function of the seed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Batch } from "../../data";
import { maskInputTokens } from "./token-mask";

function batch(): Batch {
  const rows = 50;
  const T = 40;
  const inputIds = new BigInt64Array(rows * T);
  const attentionMask = new BigInt64Array(rows * T);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < T; t++) {
      const real = t >= r % 10; // left padding of 0–9 tokens
      inputIds[r * T + t] = real ? BigInt(3 + ((r * 7 + t) % 90)) : 1n;
      attentionMask[r * T + t] = real ? 1n : 0n;
    }
  }
  const labels = inputIds.map((v, i) => (attentionMask[i] ? v + 1n : -100n));
  const positionIds = inputIds.map((_, i) => BigInt(i % T));
  const numTokens = attentionMask.reduce((a, v) => a + Number(v), 0);
  const base = { batchSize: rows, seqLen: T, epoch: 0, index: 0, rows: [], numTargetTokens: numTokens };
  return { ...base, inputIds, labels, attentionMask, positionIds, numTokens };
}

test("masks about p of the real tokens with the mask id, never padding, keeping the labels", () => {
  const b = batch();
  const masked = maskInputTokens(b, { probability: 0.2, maskTokenId: 0, seed: 11 });
  let hits = 0;
  for (let i = 0; i < b.inputIds.length; i++) {
    if (masked.inputIds[i] === b.inputIds[i]) continue;
    assert.equal(masked.inputIds[i], 0n);
    assert.equal(b.attentionMask[i], 1n, `padding at ${i} was masked`);
    hits++;
  }
  const fraction = hits / b.numTokens;
  assert.ok(Math.abs(fraction - 0.2) < 0.03, `masked fraction ${fraction}`);
  assert.deepEqual(masked.labels, b.labels);
  assert.deepEqual(masked.attentionMask, b.attentionMask);
  assert.ok(
    b.inputIds.every((v) => v !== 0n),
    "the input batch is not modified",
  );
  const again = maskInputTokens(b, { probability: 0.2, maskTokenId: 0, seed: 11 });
  assert.deepEqual(again.inputIds, masked.inputIds, "same seed, same mask");
  const other = maskInputTokens(b, { probability: 0.2, maskTokenId: 0, seed: 12 });
  assert.notDeepEqual(other.inputIds, masked.inputIds, "another seed, another mask");
  assert.equal(maskInputTokens(b, { probability: 0, maskTokenId: 0, seed: 11 }), b);
});
