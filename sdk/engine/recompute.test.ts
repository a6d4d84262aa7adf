/**
 * Recomputation regions: gradients through `checkpoint` equal the plain ones and float64 central differences,
 * the backward reads no activation from inside a region (only what leaves it), and a region is replayed only
 * after the weight gradients of the regions after it exist (the barrier that makes onnxruntime run it late).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad, topoOrder } from "./autodiff";
import { compile } from "./compile";
import { typedArrayOf } from "./ir/dtype";
import type { Node, Tensor } from "./ir/graph";
import { Graph } from "./ir/graph";
import { add, dropout, matmul, mul, reduceSum, rmsNorm, seededRandom, softmax, tanh } from "./ops";
import { checkpoint } from "./recompute";
import { type TensorValue, tensorValue } from "./runtime/session";

const N = 3;
const C = 4;
const LAYERS = 3;

/** A small residual network of LAYERS blocks (norm, matmul, tanh, softmax, dropout), each optionally a region. */
function build(recompute: boolean) {
  const g = new Graph();
  const x0 = g.input("x", "float64", ["N", C]);
  const seed = g.input("seed", "int64", []);
  const ws = Array.from({ length: LAYERS }, (_, i) => g.input(`w${i}`, "float64", [C, C]));
  const norm = g.constant(typedArrayOf("float64", [1, 0.5, 2, 1.5]), "float64", [C]);
  let x = x0;
  ws.forEach((w, i) => {
    const layer = () => {
      const a = tanh(matmul(rmsNorm(x, norm, 1e-6), w));
      x = add(x, mul(dropout(softmax(a), 0.3, seed, i), a));
    };
    if (recompute) checkpoint(g, `layer${i}`, layer);
    else layer();
  });
  const proj = g.constant(typedArrayOf("float64", Array.from({ length: C }, seededRandom(5))), "float64", [
    C,
  ]);
  const loss = reduceSum(mul(x, proj), [0, 1]);
  const wrt = [x0, ...ws];
  const grads = grad(loss, wrt).map((t) => t!);
  return { g, loss, wrt, grads };
}

function feeds(): Record<string, TensorValue> {
  const rand = seededRandom(3);
  const values = (n: number) =>
    typedArrayOf(
      "float64",
      Array.from({ length: n }, () => 2 * rand() - 1),
    );
  const out: Record<string, TensorValue> = {
    x: tensorValue("float64", [N, C], values(N * C)),
    seed: tensorValue("int64", [], BigInt64Array.of(7n)),
  };
  for (let i = 0; i < LAYERS; i++) out[`w${i}`] = tensorValue("float64", [C, C], values(C * C));
  return out;
}

async function evaluate(recompute: boolean, f: Record<string, TensorValue>) {
  const b = build(recompute);
  const outputs: Record<string, Tensor> = { loss: b.loss };
  b.grads.forEach((t, i) => {
    outputs[`g${i}`] = t;
  });
  const session = await compile(b.g, outputs);
  const r = await session.run(f);
  return { session, r };
}

test("checkpoint: gradients equal the plain graph's and float64 central differences", async () => {
  const f = feeds();
  const plain = await evaluate(false, f);
  const ckpt = await evaluate(true, f);
  assert.equal(ckpt.r.loss.data[0], plain.r.loss.data[0]);
  for (let i = 0; i <= LAYERS; i++) {
    const a = ckpt.r[`g${i}`].data as Float64Array;
    const b = plain.r[`g${i}`].data as Float64Array;
    for (const [j, v] of a.entries())
      assert.ok(Math.abs(v - b[j]) < 1e-12, `g${i}[${j}]: ${v} vs plain ${b[j]}`);
  }
  const h = 1e-6;
  for (const [i, name] of ["x", "w0", "w2"].entries()) {
    const k = i === 0 ? 0 : i === 1 ? 1 : 3;
    const x = f[name].data as Float64Array;
    const analytic = ckpt.r[`g${k}`].data as Float64Array;
    for (let j = 0; j < x.length; j++) {
      const orig = x[j];
      x[j] = orig + h;
      const up = Number((await ckpt.session.run(f, ["loss"])).loss.data[0]);
      x[j] = orig - h;
      const down = Number((await ckpt.session.run(f, ["loss"])).loss.data[0]);
      x[j] = orig;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - analytic[j]) / Math.max(1, Math.abs(numeric));
      assert.ok(err < 1e-6, `d/d${name}[${j}]: analytic ${analytic[j]} vs numeric ${numeric}`);
    }
  }
  await plain.session.release();
  await ckpt.session.release();
});

test("checkpoint: the backward reads only what leaves a region, and replays a region after later weight gradients", () => {
  const ckpt = build(true);
  const forward = new Set(topoOrder(ckpt.loss));
  const leaving = new Set<Tensor>(); // region outputs read outside their region
  for (const n of forward) {
    for (const t of n.inputs) if (t.node?.region && t.node.region !== n.region) leaving.add(t);
  }
  const backward = new Set<Node>(ckpt.grads.flatMap(topoOrder).filter((n) => !forward.has(n)));
  for (const n of backward) {
    for (const t of n.inputs) {
      // (integer values computed from the seed alone are not recomputed: they read no activation)
      if (t.node && forward.has(t.node) && t.node.region && t.dtype === "float64") {
        assert.ok(
          leaving.has(t),
          `a backward node (${n.op.name}) reads ${t}, computed inside ${t.node.region.label}`,
        );
      }
    }
  }
  const dependsOn = (t: Tensor, u: Tensor) => topoOrder(t).includes(u.node!);
  const [, g0, , g2] = ckpt.grads;
  assert.ok(dependsOn(g0, g2), "layer 0 is replayed after the gradient of layer 2's weight exists");
  const plain = build(false);
  assert.ok(!dependsOn(plain.grads[1], plain.grads[3]), "without recomputation there is no such ordering");
});
