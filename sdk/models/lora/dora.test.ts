/**
 * The DoRA linear layer: its gradients w.r.t. the magnitude, A, B and the input equal float64 central differences
 * taken with the row norm held at its value (the norm is a constant in the backward pass, as in PEFT and the DoRA
 * paper's section 4.3), and differ from differences through the norm; its output equals the merged weight
 * `m ⊙ (W + s·B·A) / ‖W + s·B·A‖` applied as a plain linear layer; no gradient flows through `stopGradient`.
 * Dimension letters: N rows, I inputs, O outputs, R rank.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile,
  Graph,
  grad,
  mul,
  reduceSum,
  seededRandom,
  stopGradient,
  type Tensor,
  type TensorValue,
  tensorValue,
} from "../../engine";
import { addLoraDelta } from "../export/merge-weights";
import { applyDoraMagnitude, doraLinear, doraWeightNorm, rowNorms } from "./dora";

const [N, I, O, R] = [3, 4, 5, 2];
const SCALE = 1.5;
const SHAPES: Record<string, number[]> = {
  x: [N, I],
  xin: [N, I],
  weight: [O, I],
  bias: [O],
  a: [R, I],
  b: [O, R],
  magnitude: [O],
  w: [N, O],
};

function randomFeeds(seed: number): Record<string, TensorValue> {
  const rand = seededRandom(seed);
  const feeds: Record<string, TensorValue> = {};
  for (const [name, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((p, d) => p * d, 1);
    const lo = name === "magnitude" ? 0.5 : -1;
    feeds[name] = tensorValue(
      "float64",
      shape,
      Float64Array.from({ length: n }, () => lo + (1 - lo) * rand()),
    );
  }
  return feeds;
}

/** loss = Σ doraLinear(...) ⊙ w over a float64 graph; `frozenNorm` makes the row norm an input instead. */
function buildLoss(dropped: boolean, frozenNorm: boolean) {
  const g = new Graph();
  const t = Object.fromEntries(Object.entries(SHAPES).map(([k, s]) => [k, g.input(k, "float64", s)]));
  const norm = frozenNorm ? g.input("norm", "float64", [O]) : undefined;
  const y = doraLinear({
    x: t.x,
    xin: dropped ? t.xin : t.x,
    dropped,
    weight: t.weight,
    bias: t.bias,
    a: t.a,
    b: t.b,
    magnitude: t.magnitude,
    scale: SCALE,
    norm,
  });
  const loss = reduceSum(mul(y, t.w), [0, 1]);
  return { g, t, loss, y };
}

const WRT = ["magnitude", "a", "b", "x", "xin"] as const;

async function centralDifferences(
  session: Awaited<ReturnType<typeof compile>>,
  feeds: Record<string, TensorValue>,
  name: string,
): Promise<number[]> {
  const h = 1e-6;
  const x = feeds[name].data as Float64Array;
  const out: number[] = [];
  for (let j = 0; j < x.length; j++) {
    const orig = x[j];
    x[j] = orig + h;
    const up = Number((await session.run(feeds, ["loss"])).loss.data[0]);
    x[j] = orig - h;
    const down = Number((await session.run(feeds, ["loss"])).loss.data[0]);
    x[j] = orig;
    out.push((up - down) / (2 * h));
  }
  return out;
}

for (const dropped of [false, true]) {
  test(`DoRA gradients equal central differences with the norm detached${dropped ? " (dropout input)" : ""}`, async () => {
    const { g, t, loss } = buildLoss(dropped, false);
    const wrt = WRT.filter((k) => dropped || k !== "xin");
    const grads = grad(
      loss,
      wrt.map((k) => t[k]),
    );
    const outputs: Record<string, Tensor> = { loss, norm: doraWeightNorm(t.weight, t.a, t.b, SCALE) };
    wrt.forEach((k, i) => {
      outputs[`d_${k}`] = grads[i] as Tensor;
    });
    const analytic = await compile(g, outputs);
    const feeds = randomFeeds(dropped ? 3 : 2);
    const base = await analytic.run(feeds);
    const frozen = buildLoss(dropped, true);
    const fd = await compile(frozen.g, { loss: frozen.loss });
    const frozenFeeds = { ...feeds, norm: base.norm };
    let differsThroughNorm = false;
    for (const k of wrt) {
      const numeric = await centralDifferences(fd, frozenFeeds, k);
      const ours = base[`d_${k}`].data as Float64Array;
      numeric.forEach((v, j) => {
        const err = Math.abs(v - ours[j]) / Math.max(1, Math.abs(v));
        assert.ok(err < 1e-6, `d/d${k}[${j}]: analytic ${ours[j]} vs numeric ${v} (norm held)`);
      });
      if (k === "a" || k === "b") {
        const through = await centralDifferences(analytic, feeds, k);
        differsThroughNorm ||= through.some((v, j) => Math.abs(v - ours[j]) > 1e-3);
      }
    }
    assert.ok(differsThroughNorm, "the A/B gradients ignore the norm's dependence on A and B (detached)");
    await analytic.release();
    await fd.release();
  });
}

test("DoRA output equals the merged weight m ⊙ (W + s·B·A) / ‖W + s·B·A‖ as a plain linear layer", async () => {
  const { g, y } = buildLoss(false, false);
  const session = await compile(g, { y });
  const feeds = randomFeeds(4);
  const ours = (await session.run(feeds)).y.data as Float64Array;
  await session.release();
  const f32 = (k: string) => Float32Array.from(feeds[k].data as Float64Array);
  const merged = applyDoraMagnitude(
    addLoraDelta(f32("weight"), f32("a"), f32("b"), R, SCALE),
    f32("magnitude"),
  );
  assert.deepEqual(
    [...rowNorms(merged, O)].map((v) => v.toFixed(5)),
    [...f32("magnitude")].map((v) => v.toFixed(5)),
    "each merged row has the magnitude's length",
  );
  const [x, bias] = [f32("x"), f32("bias")];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let expected = bias[o];
      for (let i = 0; i < I; i++) expected += x[n * I + i] * merged[o * I + i];
      assert.ok(
        Math.abs(expected - ours[n * O + o]) < 1e-5,
        `y[${n}, ${o}]: ${ours[n * O + o]} vs ${expected}`,
      );
    }
  }
});

test("no gradient flows through stopGradient", async () => {
  const g = new Graph();
  const x = g.input("x", "float64", [3]);
  // d/dx Σ stop(x) · x = stop(x) = x: only the second factor carries a gradient.
  const [dx] = grad(reduceSum(mul(stopGradient(x), x), [0]), [x]);
  const session = await compile(g, { dx: dx as Tensor });
  const out = await session.run({ x: tensorValue("float64", [3], Float64Array.from([1, -2, 3])) });
  assert.deepEqual([...(out.dx.data as Float64Array)], [1, -2, 3]);
  await session.release();
});

test("rowNorms and applyDoraMagnitude", () => {
  assert.deepEqual([...rowNorms(new Float32Array([3, 4, 0, 1]), 2)], [5, 1]);
  assert.deepEqual([...applyDoraMagnitude(new Float32Array([3, 4]), new Float32Array([10]))], [6, 8]);
});
