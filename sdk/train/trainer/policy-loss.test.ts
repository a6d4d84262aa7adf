/**
 * GRPO's clipped policy loss and group advantages against an independent PyTorch implementation written from
 * the formulas (test/reference/grpo_reference.py): the loss and its gradient with respect to the per-token
 * log-probabilities for each loss type, ratios inside and outside the clip range, advantages of both signs
 * and a masked tail; and the gradient against float64 central differences. B completions, T positions.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { DEFAULT_PYTHON, runReferenceScript, torchAvailable } from "../../../test/reference";
import { compile, type DType, Graph, grad, seededRandom, tensorValue, typedArrayOf } from "../../engine";
import { groupAdvantages } from "./group-advantages";
import { clippedPolicyLoss, type PolicyLossType, policyLossWeights } from "./policy-loss";

const B = 4;
const T = 5;
const rand = seededRandom(3);
const logp = Array.from({ length: B * T }, () => -0.1 - 3 * rand());
// Ratios from e^-0.5 to e^0.5: some inside [0.8, 1.28], some clipped on either side.
const oldLogp = logp.map((v) => v + (rand() - 0.5));
const advantages = [1.3, -0.7, 0.4, -1.1];
const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T < T - (i % 3) ? 1 : 0));
const eps = { epsilonLow: 0.2, epsilonHigh: 0.28 };
const refLogp = logp.map((v) => v + 0.6 * (rand() - 0.5));

/** Our loss and its gradient w.r.t. logp, on the engine's graph. */
async function ours(lossType: PolicyLossType, dtype: DType, lp: number[] = logp, beta = 0) {
  const g = new Graph();
  const x = g.input("logp", dtype, [B, T]);
  const loss = clippedPolicyLoss(
    {
      logp: x,
      oldLogp: g.input("old", dtype, [B, T]),
      advantages: g.input("adv", dtype, [B, 1]),
      weights: g.input("w", dtype, [B, T]),
      refLogp: beta ? g.input("ref", dtype, [B, T]) : undefined,
    },
    { ...eps, beta },
  );
  const [dx] = grad(loss, [x]);
  const session = await compile(g, { loss, dx: dx! });
  const weights = Array.from(policyLossWeights(mask, B, lossType));
  const out = await session.run({
    logp: tensorValue(dtype, [B, T], typedArrayOf(dtype, lp)),
    old: tensorValue(dtype, [B, T], typedArrayOf(dtype, oldLogp)),
    adv: tensorValue(dtype, [B, 1], typedArrayOf(dtype, advantages)),
    w: tensorValue(dtype, [B, T], typedArrayOf(dtype, weights)),
    ...(beta ? { ref: tensorValue(dtype, [B, T], typedArrayOf(dtype, refLogp)) } : {}),
  });
  await session.release();
  return { loss: Number(out.loss.data[0]), grad: Array.from(out.dx.data as Float32Array) };
}

const LOSS_TYPES: PolicyLossType[] = ["grpo", "dapo", "bnpo"];
/** Each loss type without the KL term, then grpo and dapo with β = 0.04 (TRL's former default). */
const CASES: [PolicyLossType, number][] = [
  ...LOSS_TYPES.map((l) => [l, 0] as [PolicyLossType, number]),
  ["grpo", 0.04],
  ["dapo", 0.04],
];

test("the policy loss and its gradient equal the PyTorch reference for grpo, dapo and bnpo, with and without KL", async (t) => {
  if (!(await torchAvailable())) return t.skip("PyTorch reference unavailable");
  const rows = (xs: ArrayLike<number>) =>
    Array.from({ length: B }, (_, b) => Array.from(xs).slice(b * T, (b + 1) * T));
  const cases = CASES.map(([lossType, beta]) => ({
    logp: rows(logp),
    old_logp: rows(oldLogp),
    advantages,
    mask: rows(mask),
    eps_low: eps.epsilonLow,
    eps_high: eps.epsilonHigh,
    loss_type: lossType,
    beta,
    ref_logp: rows(refLogp),
  }));
  const dir = await mkdtemp(path.join(os.tmpdir(), "tunebook-grpo-"));
  const file = path.join(dir, "cases.json");
  await writeFile(file, JSON.stringify(cases));
  const expected: { loss: number; grad: number[][] }[] = JSON.parse(
    await runReferenceScript(DEFAULT_PYTHON, "grpo_reference.py", [file]),
  );
  let worst = 0;
  for (const [i, [lossType, beta]] of CASES.entries()) {
    const got = await ours(lossType, "float32", logp, beta);
    const want = expected[i];
    assert.ok(Math.abs(got.loss - want.loss) <= 1e-5, `${lossType}: loss ${got.loss} vs ${want.loss}`);
    const flat = want.grad.flat();
    let clipped = 0;
    for (const [k, v] of flat.entries()) {
      worst = Math.max(worst, Math.abs(got.grad[k] - v));
      assert.ok(Math.abs(got.grad[k] - v) <= 1e-5, `${lossType}: dlogp[${k}] ${got.grad[k]} vs ${v}`);
      if (mask[k] && v === 0) clipped += 1;
    }
    if (beta) continue; // the KL term's gradient flows through clipped tokens too
    assert.ok(clipped > 0, "some tokens are clipped (no gradient)");
    assert.ok(clipped < mask.reduce((a, m) => a + m, 0), "and some are not");
  }
  console.log(`# policy loss vs PyTorch: worst gradient error ${worst.toExponential(2)}`);
});

test("the policy loss's gradient (with the KL term) matches float64 central differences", async () => {
  const beta = 0.04;
  const base = await ours("grpo", "float64", logp, beta);
  const h = 1e-6;
  for (let k = 0; k < logp.length; k++) {
    const up = logp.slice();
    const down = logp.slice();
    up[k] += h;
    down[k] -= h;
    const numeric =
      ((await ours("grpo", "float64", up, beta)).loss - (await ours("grpo", "float64", down, beta)).loss) /
      (2 * h);
    assert.ok(Math.abs(numeric - base.grad[k]) <= 1e-6, `dlogp[${k}]: ${base.grad[k]} vs ${numeric}`);
  }
});

test("group advantages equal the PyTorch reference for group, batch and no scaling", async (t) => {
  if (!(await torchAvailable())) return t.skip("PyTorch reference unavailable");
  const rewards = [1, 0, 0.5, 0.25, 2, 2, 2, 2, -1, 3, 0.5, 0];
  const scales = ["group", "batch", "none"] as const;
  const dir = await mkdtemp(path.join(os.tmpdir(), "tunebook-grpo-"));
  const file = path.join(dir, "cases.json");
  await writeFile(file, JSON.stringify(scales.map((scale) => ({ rewards, group_size: 4, scale }))));
  const expected: { advantages: number[] }[] = JSON.parse(
    await runReferenceScript(DEFAULT_PYTHON, "grpo_reference.py", [file]),
  );
  for (const [i, scale] of scales.entries()) {
    const got = groupAdvantages(rewards, 4, scale);
    for (const [k, v] of expected[i].advantages.entries()) {
      assert.ok(Math.abs(got[k] - v) <= 1e-5, `${scale}: A[${k}] ${got[k]} vs ${v}`);
    }
  }
  assert.deepEqual(
    Array.from(groupAdvantages(rewards, 4, "group").slice(4, 8)),
    [0, 0, 0, 0],
    "a tied group",
  );
  assert.throws(() => groupAdvantages([1, 2, 3], 2, "group"), /do not split into groups of 2/);
});
