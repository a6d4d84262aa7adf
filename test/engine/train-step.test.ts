/**
 * End to end: the fused train step trains an MLP and a one-block decoder; after 3 AdamW steps (with weight
 * decay and clipping) the parameters match an independent PyTorch computation (float64) to 1e-5 relative.
 * Also: evaluation leaves parameters unchanged, accumulation equals one large batch, state round-trips.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { seededRandom, type TensorValue, TrainStep, tensorValue } from "../../sdk/engine";
import { buildDecoder, buildMlp, DEC, decoderParams, MLP, mlpParams, type ParamSpec } from "./tiny-models";

const PYTHON = "/usr/bin/python3";

function torchReference(request: object): { losses: number[]; params: Record<string, number[]> } {
  const r = spawnSync(PYTHON, ["test/engine/torch_train_reference.py"], {
    input: JSON.stringify(request),
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`PyTorch reference failed (is python3-torch installed?): ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

function mlpBatch(seed: number, n = 6) {
  const rand = seededRandom(seed);
  const x = Array.from({ length: n * MLP.inputs }, () => 2 * rand() - 1);
  const y = Array.from({ length: n }, (_, i) => i % MLP.classes);
  const feeds: Record<string, TensorValue> = {
    x: tensorValue("float32", [n, MLP.inputs], Float32Array.from(x)),
    y: tensorValue("int64", [n], BigInt64Array.from(y.map(BigInt))),
  };
  return { feeds, json: { x, y } };
}

function decoderBatch(seed: number) {
  const [B, T] = [2, 5];
  const rand = seededRandom(seed);
  const ids = Array.from({ length: B * T }, () => Math.floor(rand() * DEC.vocab));
  const mask = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]; // second row left-padded
  const labels = ids.map((_, i) =>
    i % T === T - 1 || mask[i] === 0 || mask[i + 1] === 0 ? -100 : ids[i + 1],
  );
  const pos = [0, 1, 2, 3, 4, 0, 0, 1, 2, 3];
  const i64 = (v: number[]) => tensorValue("int64", [B, T], BigInt64Array.from(v.map(BigInt)));
  const feeds = {
    input_ids: i64(ids),
    labels: i64(labels),
    attention_mask: i64(mask),
    position_ids: i64(pos),
  };
  return { feeds, json: { B, T, input_ids: ids, labels, attention_mask: mask, position_ids: pos } };
}

/** Tensor-wise relative error `max|a − e| / max|e|` must stay below `rtol`. */
function assertClose(actual: Float32Array, expected: number[], name: string, rtol = 1e-5): void {
  let at = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    if (Math.abs(actual[i] - expected[i]) > Math.abs(actual[at] - expected[at])) at = i;
  }
  const err = Math.abs(actual[at] - expected[at]) / scale;
  assert.ok(
    err < rtol,
    `${name}: relative error ${err.toExponential(2)} ≥ ${rtol} at ${at}: ${actual[at]} vs ${expected[at]}`,
  );
}

async function compareWithTorch(
  model: "mlp" | "decoder",
  spec: ParamSpec,
  batches: ReturnType<typeof mlpBatch>[],
) {
  const built = model === "mlp" ? buildMlp(spec) : buildDecoder(spec);
  const opts = { lr: 0.01, weight_decay: 0.1, max_grad_norm: 0.5 };
  const step = await TrainStep.create({
    loss: built.loss,
    params: built.params,
    optimizer: { weightDecay: opts.weight_decay },
    maxGradNorm: opts.max_grad_norm,
  });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++)
    losses.push((await step.step(batches[i % batches.length].feeds, { lr: opts.lr })).loss);
  const ref = torchReference({
    model,
    params: spec,
    batches: batches.map((b) => b.json),
    steps: 3,
    ...opts,
    dims: model === "mlp" ? MLP : DEC,
  });
  losses.forEach((l, i) => {
    const tol = 1e-5 * Math.abs(ref.losses[i]) + 1e-6;
    assert.ok(Math.abs(l - ref.losses[i]) < tol, `loss ${i}: ${l} vs ${ref.losses[i]}`);
  });
  for (const name of Object.keys(spec)) assertClose(step.value(name), ref.params[name], `${model}.${name}`);
  await step.release();
}

test("MLP: 3 AdamW steps (weight decay, clipping) match PyTorch to 1e-5", async () => {
  await compareWithTorch("mlp", mlpParams(), [mlpBatch(1), mlpBatch(2)]);
});

test("decoder block (GQA, RoPE, padding, embeddings): 3 AdamW steps match PyTorch to 1e-5", async () => {
  await compareWithTorch("decoder", decoderParams(), [decoderBatch(1), decoderBatch(2)] as never);
});

test("training lowers the loss; evaluation leaves parameters unchanged", async () => {
  const built = buildDecoder(decoderParams(5));
  const step = await TrainStep.create({ loss: built.loss, params: built.params });
  const batch = decoderBatch(3).feeds;
  const first = (await step.evaluate(batch)).loss;
  const before = Float32Array.from(step.value("wq"));
  assert.equal((await step.evaluate(batch)).loss, first);
  assert.deepEqual(step.value("wq"), before);
  let last = first;
  for (let i = 0; i < 40; i++) last = (await step.step(batch, { lr: 0.02 })).loss;
  const after = (await step.evaluate(batch)).loss;
  assert.ok(after < 0.5 * first, `loss ${first} → ${after}`);
  assert.ok(Number.isFinite(last));
  await step.release();
});

test("two accumulated half-batches update like one full batch (to float32 rounding)", async () => {
  const spec = mlpParams(3);
  const full = mlpBatch(9, 8);
  const half = (lo: number) => {
    const x = full.feeds.x.data.slice(lo * MLP.inputs, (lo + 4) * MLP.inputs) as Float32Array;
    const y = full.feeds.y.data.slice(lo, lo + 4) as BigInt64Array;
    return { x: tensorValue("float32", [4, MLP.inputs], x), y: tensorValue("int64", [4], y) };
  };
  const a = buildMlp(spec);
  const big = await TrainStep.create({ loss: a.loss, params: a.params, maxGradNorm: 1 });
  await big.step(full.feeds, { lr: 0.1 });
  const b = buildMlp(spec);
  const acc = await TrainStep.create({ loss: b.loss, params: b.params, maxGradNorm: 1, accumulate: true });
  await acc.accumulate(half(0));
  await acc.step(half(4), { lr: 0.1 });
  for (const name of Object.keys(spec)) assertClose(acc.value(name), Array.from(big.value(name)), name, 1e-5);
  // The accumulator was reset: a second update equals the full-batch path's second update.
  await big.step(full.feeds, { lr: 0.1 });
  await acc.accumulate(half(0));
  await acc.step(half(4), { lr: 0.1 });
  for (const name of Object.keys(spec)) assertClose(acc.value(name), Array.from(big.value(name)), name, 1e-5);
  await Promise.all([big.release(), acc.release()]);
});

test("optimizer state exported and restored continues bit for bit", async () => {
  const spec = mlpParams(4);
  const batch = mlpBatch(5).feeds;
  const a = buildMlp(spec);
  const one = await TrainStep.create({ loss: a.loss, params: a.params });
  for (let i = 0; i < 3; i++) await one.step(batch, { lr: 0.05 });
  const saved = one.exportState();
  const l1 = (await one.step(batch, { lr: 0.05 })).loss;
  const b = buildMlp(spec);
  const two = await TrainStep.create({ loss: b.loss, params: b.params });
  two.importState(saved);
  const l2 = (await two.step(batch, { lr: 0.05 })).loss;
  assert.equal(l2, l1);
  assert.deepEqual(two.value("w1"), one.value("w1"));
  assert.equal(two.stepCount, 4);
  assert.throws(() => two.importState({ ...saved, m: {} }), /m\.w1 is missing/);
  await Promise.all([one.release(), two.release()]);
});

test("accumulated micro-steps of unequal size, weighted by their rows, update like one full batch", async () => {
  const spec = mlpParams(6);
  const full = mlpBatch(11, 8);
  const rows = (lo: number, n: number) => {
    const x = full.feeds.x.data.slice(lo * MLP.inputs, (lo + n) * MLP.inputs) as Float32Array;
    const y = full.feeds.y.data.slice(lo, lo + n) as BigInt64Array;
    return { x: tensorValue("float32", [n, MLP.inputs], x), y: tensorValue("int64", [n], y) };
  };
  const a = buildMlp(spec);
  const big = await TrainStep.create({ loss: a.loss, params: a.params, maxGradNorm: 0.5 });
  const bigNorm = (await big.step(full.feeds, { lr: 0.1 })).gradNorm;
  const b = buildMlp(spec);
  const acc = await TrainStep.create({ loss: b.loss, params: b.params, maxGradNorm: 0.5, accumulate: true });
  await acc.accumulate(rows(0, 1), { weight: 1 });
  await acc.accumulate(rows(1, 5), { weight: 5 });
  const accNorm = (await acc.step(rows(6, 2), { lr: 0.1, weight: 2 })).gradNorm;
  assert.ok(Math.abs(accNorm - bigNorm) < 1e-5 * bigNorm, `grad norm ${accNorm} vs ${bigNorm}`);
  for (const name of Object.keys(spec)) assertClose(acc.value(name), Array.from(big.value(name)), name, 1e-5);
  await assert.rejects(acc.accumulate(rows(0, 1), { weight: Number.NaN }), /finite number ≥ 0/);
  await Promise.all([big.release(), acc.release()]);
});
