/**
 * Registry-driven gradient check: every differentiable op's gradient rule is compared with float64 central
 * differences on each of its check cases. An op registered with a gradient but no check case fails here.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "./autodiff";
import { compile } from "./compile";
import { type DType, typedArrayOf } from "./ir/dtype";
import { Graph, type Tensor } from "./ir/graph";
import { mul, reduceSum, registeredOps, seededRandom } from "./ops";
import type { GradCheckCase, OpDef } from "./ops/registry";
import { type TensorValue, tensorValue } from "./runtime/session";

function caseValues(c: GradCheckCase, dtype: DType, seed: number): TensorValue[] {
  const rand = seededRandom(seed);
  return c.inputs.map((spec) => {
    const dt = spec.dtype ?? dtype;
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const [lo, hi] = spec.range ?? [-1, 1];
    const values = spec.values ?? Array.from({ length: n }, () => lo + (hi - lo) * rand());
    return tensorValue(dt, spec.shape, typedArrayOf(dt, values));
  });
}

async function checkCase(op: OpDef, c: GradCheckCase): Promise<void> {
  const dtype: DType = c.float32Only ? "float32" : "float64";
  const g = new Graph();
  const feeds = caseValues(c, dtype, 7);
  const inputs = feeds.map((v, i) => g.input(`x${i}`, v.dtype, v.dims));
  const [y] = g.apply(op, inputs, c.attrs ?? {});
  // A random projection makes the upstream gradient non-trivial.
  const ySize = y.shape.reduce<number>((a, d) => a * (d as number), 1);
  const w = g.constant(
    typedArrayOf(y.dtype, Array.from({ length: ySize }, seededRandom(11))),
    y.dtype,
    y.shape as number[],
  );
  const loss = reduceSum(
    mul(y, w),
    y.shape.map((_, i) => i),
  );
  const diffInputs = inputs.filter((t, i) => t.dtype === dtype && !c.inputs[i].noGrad);
  const grads = grad(loss, diffInputs);
  const outputs: Record<string, Tensor> = { loss };
  grads.forEach((gr, i) => {
    if (gr) outputs[`g${i}`] = gr;
  });
  const session = await compile(g, outputs);
  const feedMap = Object.fromEntries(feeds.map((v, i) => [`x${i}`, v]));
  const base = await session.run(feedMap);
  const h = dtype === "float64" ? 1e-6 : 1e-2;
  const tol = c.tolerance ?? (dtype === "float64" ? 1e-6 : 2e-3);
  for (const [k, t] of diffInputs.entries()) {
    const idx = inputs.indexOf(t);
    const analytic = base[`g${k}`]?.data as Float64Array | Float32Array | undefined;
    assert.ok(analytic, `${op.name}: no gradient for input ${idx}`);
    const x = feeds[idx].data as Float64Array | Float32Array;
    for (let j = 0; j < x.length; j++) {
      const orig = x[j];
      x[j] = orig + h;
      const up = Number((await session.run(feedMap, ["loss"])).loss.data[0]);
      x[j] = orig - h;
      const down = Number((await session.run(feedMap, ["loss"])).loss.data[0]);
      x[j] = orig;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - analytic[j]) / Math.max(1, Math.abs(numeric));
      assert.ok(
        err < tol,
        `${op.name}${c.name ? ` (${c.name})` : ""}: d/dx${idx}[${j}] analytic ${analytic[j]} vs numeric ${numeric}`,
      );
    }
  }
  await session.release();
}

for (const op of registeredOps()) {
  if (op.grad === "none") continue;
  test(`gradient of ${op.name} matches central differences`, async () => {
    assert.ok(
      op.checks?.length,
      `${op.name} has a gradient rule but no check case: add one to its definition`,
    );
    for (const c of op.checks) await checkCase(op, c);
  });
}
