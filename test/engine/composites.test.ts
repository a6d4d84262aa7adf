/**
 * Composite ops and pruning: seeded dropout, split, masks, and frozen weights getting no weight gradient.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  attentionBias,
  compile,
  dropout,
  Graph,
  grad,
  linear,
  reduceSum,
  softcapped,
  split,
  type Tensor,
  tensorValue,
  topoOrder,
} from "../../sdk/engine";

const seedValue = (s: number) => tensorValue("int64", [], BigInt64Array.of(BigInt(s)));

test("dropout: drops about p of the elements, rescales the rest, and is a function of the seed input", async () => {
  const g = new Graph();
  const x = g.input("x", "float32", ["N"]);
  const seed = g.input("seed", "int64", []);
  const s = await compile(g, { y: dropout(x, 0.25, seed, 3) });
  const n = 20000;
  const ones = tensorValue("float32", [n], new Float32Array(n).fill(1));
  const run = async (sd: number) => (await s.run({ x: ones, seed: seedValue(sd) })).y.data as Float32Array;
  const a = await run(1);
  const zeros = a.filter((v) => v === 0).length / n;
  assert.ok(Math.abs(zeros - 0.25) < 0.015, `dropped fraction ${zeros}`);
  assert.ok(
    a.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6),
    "kept values are scaled by 1/(1−p)",
  );
  assert.deepEqual(await run(1), a, "same seed, same mask");
  const b = await run(2);
  const differ = a.filter((v, i) => (v === 0) !== (b[i] === 0)).length / n;
  assert.ok(differ > 0.3, `another seed gives another mask (${differ} of positions differ)`);
  // Neighbouring positions are not correlated (no lattice pattern from the hash).
  let both = 0;
  for (let i = 0; i + 1 < n; i++) if (a[i] === 0 && a[i + 1] === 0) both++;
  assert.ok(Math.abs(both / (n - 1) - 0.0625) < 0.01, `P(drop, drop) for neighbours = ${both / (n - 1)}`);
  await s.release();
});

test("split returns slices that concatenate back, and rejects sizes that do not add up", async () => {
  const g = new Graph();
  const x = g.input("x", "float32", [2, 5]);
  const [a, b] = split(x, 1, [2, 3]);
  const s = await compile(g, { a, b });
  const out = await s.run({
    x: tensorValue(
      "float32",
      [2, 5],
      Float32Array.from({ length: 10 }, (_, i) => i),
    ),
  });
  assert.deepEqual(Array.from(out.a.data as Float32Array), [0, 1, 5, 6]);
  assert.deepEqual(Array.from(out.b.data as Float32Array), [2, 3, 4, 7, 8, 9]);
  assert.throws(() => split(x, 1, [2, 2]), /Split: sizes \[2,2\] do not add up/);
  await s.release();
});

test("attention bias: causal, padding and packed segments", async () => {
  const g = new Graph();
  const ids = g.input("ids", "int64", ["B", "T"]);
  const mask = g.input("mask", "int64", ["B", "T"]);
  const seg = g.input("seg", "int64", ["B", "T"]);
  const s = await compile(g, { bias: attentionBias(ids, { attentionMask: mask, segmentIds: seg }) });
  const i64 = (v: number[]) => tensorValue("int64", [1, 4], BigInt64Array.from(v.map(BigInt)));
  const out = await s.run({ ids: i64([5, 6, 7, 8]), mask: i64([1, 1, 1, 0]), seg: i64([1, 1, 2, 2]) });
  const open = Array.from(out.bias.data as Float32Array, (v) => (v === 0 ? 1 : 0));
  // rows = queries, columns = keys: causal within segment {0,1} and {2}; key 3 is padding.
  assert.deepEqual(open, [1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
  await s.release();
});

test("attentionBias with a sliding window W opens q − W < k ≤ q (transformers' sliding_window_overlay); softcapped", async () => {
  const g = new Graph();
  const ids = g.input("ids", "int64", ["B", "T"]);
  const mask = g.input("mask", "int64", ["B", "T"]);
  const x = g.input("x", "float32", ["N"]);
  const s = await compile(g, {
    bias: attentionBias(ids, { attentionMask: mask, window: 2 }),
    capped: softcapped(x, 2),
  });
  const i64 = (v: number[]) => tensorValue("int64", [1, 5], BigInt64Array.from(v.map(BigInt)));
  const xs = [-100, -1, 0, 0.5, 3];
  const out = await s.run({
    ids: i64([5, 6, 7, 8, 9]),
    mask: i64([0, 1, 1, 1, 1]),
    x: tensorValue("float32", [5], Float32Array.from(xs)),
  });
  const open = Array.from(out.bias.data as Float32Array, (v) => (v === 0 ? 1 : 0));
  // rows = queries, columns = keys: each query sees itself and the key before it; key 0 is padding.
  assert.deepEqual(open, [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]);
  const capped = Array.from(out.capped.data as Float32Array);
  for (const [i, v] of xs.entries()) {
    assert.ok(Math.abs(capped[i] - 2 * Math.tanh(v / 2)) < 1e-6, `${v} → ${capped[i]}`);
  }
  await s.release();
  assert.throws(() => attentionBias(ids, { window: 0 }), /sliding window must be a positive integer, got 0/);
});

test("a frozen weight gets no weight gradient: the backward of linear(x, W) holds one Gemm, not two", () => {
  const g = new Graph();
  const x = g.param("x", [2, 3], { kind: "inline", data: new Float32Array(6) }, { trainable: true });
  const w = g.param("w", [4, 3], { kind: "inline", data: new Float32Array(12) });
  const loss = reduceSum(linear(x, w), [0, 1]);
  const countGemms = (t: Tensor) => topoOrder(t).filter((n) => n.op.name === "Gemm").length;
  const [dx] = grad(loss, [x]);
  assert.ok(dx);
  assert.equal(countGemms(dx) - countGemms(loss), 1, "only dX = dY·W is built");
  const [dx2, dw] = grad(loss, [x, w]);
  assert.ok(dx2 && dw, "asking for W's gradient builds it");
});
