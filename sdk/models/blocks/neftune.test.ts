/**
 * NEFTune noise: uniform in ±α/√(T·C) with T and C read at run time (checked on two sequence lengths), zero
 * mean, variance (α²/(T·C))/3 as a uniform's, a function of the seed, and off for a negative seed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, Graph, tensorValue } from "../../engine";
import { neftuneNoise } from "./neftune";

const ALPHA = 5;
const seedValue = (s: number) => tensorValue("int64", [], BigInt64Array.of(BigInt(s)));

test("NEFTune noise has the magnitude α/√(T·C), zero mean and a uniform's variance; off for seed < 0", async () => {
  const g = new Graph();
  const x = g.input("x", "float32", ["B", "T", 32]);
  const seed = g.input("seed", "int64", []);
  const s = await compile(g, { y: neftuneNoise(x, seed, ALPHA) });
  const run = async (T: number, sd: number, fill = 0) => {
    const data = new Float32Array(4 * T * 32).fill(fill);
    const out = await s.run({ x: tensorValue("float32", [4, T, 32], data), seed: seedValue(sd) });
    return Array.from(out.y.data as Float32Array, (v) => v - fill);
  };
  for (const T of [16, 3]) {
    const noise = await run(T, 7);
    const magnitude = ALPHA / Math.sqrt(T * 32);
    const max = Math.max(...noise.map(Math.abs));
    assert.ok(max <= magnitude * (1 + 1e-6) && max > 0.97 * magnitude, `T=${T}: max ${max} vs ${magnitude}`);
    const mean = noise.reduce((a, v) => a + v, 0) / noise.length;
    const variance = noise.reduce((a, v) => a + (v - mean) ** 2, 0) / noise.length;
    assert.ok(Math.abs(mean) < 0.1 * magnitude, `T=${T}: mean ${mean}`);
    const expected = magnitude ** 2 / 3;
    assert.ok(Math.abs(variance / expected - 1) < 0.12, `T=${T}: variance ${variance} vs ${expected}`);
  }
  const [a, b, shifted] = [await run(16, 7), await run(16, 8), await run(16, 7, 1.5)];
  assert.ok(
    shifted.every((v, i) => Math.abs(v - a[i]) < 1e-6),
    "the noise does not depend on the values",
  );
  assert.ok(a.filter((v, i) => v !== b[i]).length > 0.99 * a.length, "another seed, other noise");
  assert.ok(
    (await run(16, -1, 0.25)).every((v) => v === 0),
    "a negative seed adds nothing",
  );
  await s.release();
});
