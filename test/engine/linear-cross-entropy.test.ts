/**
 * `linearCrossEntropy` against `crossEntropy(linear(hidden, weight), labels)` in float64: loss and hidden
 * gradient for several chunk sizes (one chunk, even and uneven chunks, chunks larger than the vocabulary), with
 * the `withGrad` flag on and off, and for a batch with no labelled position (NaN loss like the plain op, zero
 * gradient). Dimension letters: N rows, C hidden, V vocabulary.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile,
  crossEntropy,
  Graph,
  grad,
  linear,
  linearCrossEntropy,
  seededRandom,
  tensorValue,
} from "../../sdk/engine";

const [N, C, V] = [5, 3, 11];

async function lossAndGrad(labels: number[], chunkSize: number, withGrad: boolean) {
  const rand = seededRandom(5);
  const values = (n: number) => Float64Array.from({ length: n }, () => 4 * rand() - 2);
  const g = new Graph();
  const h = g.input("h", "float64", [N, C]);
  const w = g.input("w", "float64", [V, C]);
  const y = g.input("y", "int64", [N]);
  const flag = g.input("flag", "bool", []);
  const fused = linearCrossEntropy(h, w, y, { chunkSize, withGrad: flag });
  const plain = crossEntropy(linear(h, w), y);
  const [dFused] = grad(fused, [h]);
  const [dPlain] = grad(plain, [h]);
  const s = await compile(g, { fused, plain, dFused: dFused!, dPlain: dPlain! });
  const out = await s.run({
    h: tensorValue("float64", [N, C], values(N * C)),
    w: tensorValue("float64", [V, C], values(V * C)),
    y: tensorValue("int64", [N], BigInt64Array.from(labels.map(BigInt))),
    flag: tensorValue("bool", [], Uint8Array.of(withGrad ? 1 : 0)),
  });
  await s.release();
  const num = (k: string) => Number(out[k].data[0]);
  return {
    fused: num("fused"),
    plain: num("plain"),
    dFused: out.dFused.data as Float64Array,
    dPlain: out.dPlain.data as Float64Array,
  };
}

test("linearCrossEntropy equals crossEntropy of the full logits, for any chunk size", async () => {
  const labels = [3, -100, 10, 0, 7];
  for (const chunk of [1, 4, 5, 11, 64]) {
    const r = await lossAndGrad(labels, chunk, true);
    assert.ok(Math.abs(r.fused - r.plain) < 1e-12, `chunk ${chunk}: loss ${r.fused} vs ${r.plain}`);
    for (const [i, v] of r.dPlain.entries()) {
      assert.ok(Math.abs(r.dFused[i] - v) < 1e-12, `chunk ${chunk}: dHidden[${i}] ${r.dFused[i]} vs ${v}`);
    }
    assert.deepEqual([...r.dFused.slice(C, 2 * C)], [0, 0, 0], "the ignored row gets no gradient");
  }
});

test("without withGrad only the loss is computed; a batch without labels gives NaN as crossEntropy does", async () => {
  const off = await lossAndGrad([3, -100, 10, 0, 7], 4, false);
  assert.ok(Math.abs(off.fused - off.plain) < 1e-12, `loss ${off.fused} vs ${off.plain}`);
  assert.ok(off.dFused.every((v) => v === 0));
  const none = await lossAndGrad([-100, -100, -100, -100, -100], 4, true);
  assert.ok(Number.isNaN(none.plain) && Number.isNaN(none.fused), `${none.fused} and ${none.plain}`);
  assert.ok(none.dFused.every((v) => v === 0));
});
