/**
 * The preference losses against an independent PyTorch implementation written from the papers
 * (`test/reference/preference_reference.py`): each loss's value and its gradient with respect to the policy's
 * log-probabilities on fixed inputs (float64), then end to end on a tiny Llama with a random LoRA adapter: the
 * per-pair log-probabilities, the loss and the gradient of every LoRA tensor (float32 graph, fused chunked head,
 * the reference model being the same graph's base with the adapters off). Also: the reference adds no weight.
 * Dimension letters: P pairs, B rows (2P), T time.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { compile, emitOnnx, Graph, grad, type Tensor, tensorValue } from "../../sdk/engine";
import { Backbone } from "../../sdk/models";
import {
  buildPreferenceLoss,
  lossNeeds,
  PREFERENCE_LOSSES,
  type PreferenceLossSettings,
  preferenceLoss,
} from "../../sdk/train/preference";
import { DEFAULT_PYTHON, makeTinyCheckpoint, runReferenceScript } from "../reference";

let work = "";
const backbones: Backbone[] = [];
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "tunebook-preference-"));
});
after(async () => {
  for (const b of backbones) await b.dispose();
  await rm(work, { recursive: true, force: true });
});

/** Each loss with non-default settings where it has some (smoothing, γ, α), so every term is exercised. */
const SETTINGS: PreferenceLossSettings[] = PREFERENCE_LOSSES.map((lossFunction) => ({
  lossFunction,
  beta: lossFunction === "DPOIPOLoss" ? 0.5 : 0.3,
  simpoGamma: 0.7,
  labelSmoothing: ["DPOLoss", "CPOLoss", "SimPOLoss"].includes(lossFunction) ? 0.1 : 0,
  cpoAlpha: 0.6,
}));

const snake = (s: PreferenceLossSettings) => ({
  loss: s.lossFunction,
  beta: s.beta,
  simpo_gamma: s.simpoGamma,
  label_smoothing: s.labelSmoothing,
  cpo_alpha: s.cpoAlpha,
});

/** What the reference script returns per case (only the fields a test reads). */
interface ReferenceCase {
  loss: number;
  chosen_rewards: number[];
  rejected_rewards: number[];
  chosen_logps: number[];
  rejected_logps: number[];
  grads: Record<string, number[]> & { chosen_nll?: number };
}

async function reference(args: string[], payload: unknown): Promise<ReferenceCase[]> {
  const file = path.join(work, `in-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(payload));
  return JSON.parse(await runReferenceScript(DEFAULT_PYTHON, "preference_reference.py", [...args, file]));
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-5) {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  assert.ok(
    diff <= tol * Math.max(scale, 1e-3),
    `${what}: max diff ${diff} (scale ${scale}): ${Array.from(a)} vs ${Array.from(b)}`,
  );
}

// Fixed per-pair log-probabilities: sums for most losses, negative token means for ORPO's log(1 − e^π).
const SUMS = {
  chosen: [-12.5, -7.25, -20.1],
  rejected: [-14, -6.5, -19.75],
  refChosen: [-13.1, -7, -19.5],
  refRejected: [-13.5, -6.9, -20.6],
};
const MEANS = {
  chosen: [-1.25, -0.4, -2.1],
  rejected: [-1.6, -0.35, -1.9],
  refChosen: [-1.3, -0.45, -2],
  refRejected: [-1.5, -0.5, -2.2],
};

test("each preference loss and its gradient equal PyTorch's on fixed inputs", async () => {
  const cases = SETTINGS.map((s) => {
    const needs = lossNeeds(s);
    const v = needs.lengthNormalised ? MEANS : SUMS;
    return {
      s,
      needs,
      v,
      json: {
        ...snake(s),
        chosen: v.chosen,
        rejected: v.rejected,
        ...(needs.reference ? { ref_chosen: v.refChosen, ref_rejected: v.refRejected } : {}),
        ...(needs.chosenNll ? { chosen_nll: 1.7 } : {}),
      },
    };
  });
  const expected = await reference(
    ["--losses"],
    cases.map((c) => c.json),
  );
  for (const [i, c] of cases.entries()) {
    const g = new Graph();
    const P = c.v.chosen.length;
    const input = (name: string, shape: number[]) => g.input(name, "float64", shape);
    const chosen = input("chosen", [P]);
    const rejected = input("rejected", [P]);
    const refChosen = c.needs.reference ? input("ref_chosen", [P]) : undefined;
    const refRejected = c.needs.reference ? input("ref_rejected", [P]) : undefined;
    const chosenNll = c.needs.chosenNll ? input("chosen_nll", []) : undefined;
    const out = preferenceLoss(c.s, { chosen, rejected, refChosen, refRejected, chosenNll });
    const wrt = [chosen, rejected, ...(chosenNll ? [chosenNll] : [])];
    const grads = grad(out.loss, wrt);
    const outputs: Record<string, Tensor> = {
      loss: out.loss,
      chosen_rewards: out.chosenRewards,
      rejected_rewards: out.rejectedRewards,
    };
    grads.forEach((t, k) => {
      if (t) outputs[`g${k}`] = t;
    });
    const session = await compile(g, outputs);
    const f64 = (v: number[] | number) =>
      Array.isArray(v)
        ? tensorValue("float64", [v.length], Float64Array.from(v))
        : tensorValue("float64", [], Float64Array.of(v));
    const feeds = Object.fromEntries(
      Object.entries(c.json)
        .filter(([k]) => ["chosen", "rejected", "ref_chosen", "ref_rejected", "chosen_nll"].includes(k))
        .map(([k, v]) => [k, f64(v as number[] | number)]),
    );
    const r = await session.run(feeds);
    await session.release();
    const name = c.s.lossFunction;
    const e = expected[i];
    close(r.loss.data as Float64Array, [e.loss], `${name} loss`);
    close(r.chosen_rewards.data as Float64Array, e.chosen_rewards, `${name} chosen rewards`);
    close(r.rejected_rewards.data as Float64Array, e.rejected_rewards, `${name} rejected rewards`);
    close(r.g0.data as Float64Array, e.grads.chosen, `${name} d/d chosen`);
    close(r.g1.data as Float64Array, e.grads.rejected, `${name} d/d rejected`);
    if (chosenNll) close(r.g2.data as Float64Array, [e.grads.chosen_nll ?? Number.NaN], `${name} d/d nll`);
  }
});

test("DPO's gradient at the first step (policy = reference) is ∓β/(2P) per pair, not 0", async () => {
  const g = new Graph();
  const [pc, pr, rc, rr] = ["pc", "pr", "rc", "rr"].map((n) => g.input(n, "float32", [2]));
  const beta = 0.3;
  const s: PreferenceLossSettings = { ...SETTINGS[0], beta, labelSmoothing: 0 };
  const out = preferenceLoss(s, { chosen: pc, rejected: pr, refChosen: rc, refRejected: rr });
  const [dc, dr] = grad(out.loss, [pc, pr]);
  const session = await compile(g, { loss: out.loss, dc: dc!, dr: dr! });
  const c = tensorValue("float32", [2], Float32Array.of(-3, -4));
  const rj = tensorValue("float32", [2], Float32Array.of(-5, -2));
  const r = await session.run({ pc: c, rc: c, pr: rj, rr: rj });
  await session.release();
  assert.ok(Math.abs(Number(r.loss.data[0]) - Math.log(2)) < 1e-6);
  close(r.dc.data as Float32Array, [-beta / 4, -beta / 4], "d/d chosen");
  close(r.dr.data as Float32Array, [beta / 4, beta / 4], "d/d rejected");
});

/** Two pairs: rows 0–1 chosen, 2–3 rejected; right padding; labels shifted, prompt and padding not learned. */
function pairBatch() {
  const [B, T] = [4, 7];
  const ids = [
    [5, 17, 42, 9, 77, 3, 0],
    [8, 33, 21, 60, 0, 0, 0],
    [5, 17, 42, 101, 54, 0, 0],
    [8, 33, 21, 14, 99, 250, 11],
  ];
  const lengths = [6, 4, 5, 7];
  const prompt = [3, 3, 3, 3];
  const mask = ids.map((row, b) => row.map((_, t) => (t < lengths[b] ? 1 : 0)));
  const labels = ids.map((row, b) =>
    row.map((_, t) => (t >= prompt[b] - 1 && t + 1 < lengths[b] ? row[t + 1] : -100)),
  );
  const flat = (rows: number[][]) => BigInt64Array.from(rows.flat().map(BigInt));
  const i64 = (rows: number[][]) => tensorValue("int64", [B, T], flat(rows));
  const feeds = {
    input_ids: i64(ids),
    attention_mask: i64(mask),
    position_ids: i64(ids.map((row) => row.map((_, t) => t))),
    labels: i64(labels),
    dropout_seed: tensorValue("int64", [], BigInt64Array.of(-1n)),
    chosen_rows: tensorValue("int64", [2], BigInt64Array.of(0n, 1n)),
    rejected_rows: tensorValue("int64", [2], BigInt64Array.of(2n, 3n)),
  };
  return { json: { input_ids: ids, attention_mask: mask, labels }, feeds };
}

async function tinyLlamaWithAdapter() {
  const dir = await makeTinyCheckpoint({
    arch: "llama",
    vocab: 600,
    tie: true,
    seed: 5,
    lora: { r: 4, alpha: 8, targets: ["q_proj", "v_proj", "up_proj"] },
  });
  const backbone = await Backbone.load(dir, { tokenizer: false, adapter: path.join(dir, "adapter") });
  backbones.push(backbone);
  return { dir, backbone };
}

test("end to end on a tiny model: log-probabilities, loss and LoRA gradients equal PyTorch's", async () => {
  const { dir, backbone } = await tinyLlamaWithAdapter();
  const batch = pairBatch();
  const expected = await reference(["--model", dir, "--adapter", path.join(dir, "adapter"), "--pairs"], {
    ...batch.json,
    cases: SETTINGS.map(snake),
  });
  for (const [i, s] of SETTINGS.entries()) {
    // Chunks of 256 over a vocabulary of 600: the fused head's uneven last chunk is exercised.
    const built = buildPreferenceLoss({ backbone, loss: s, lossChunkSize: 256 });
    const grads = grad(built.loss, built.params);
    const names = built.params.map((p) => (p.source.kind === "param" ? p.source.name : ""));
    const outputs: Record<string, Tensor> = { loss: built.loss, ...built.extraOutputs };
    grads.forEach((t, k) => {
      if (t) outputs[`grad.${names[k]}`] = t;
    });
    const session = await compile(built.loss.graph, outputs, {
      modelPath: path.join(backbone.folder, `preference-${i}.onnx`),
    });
    const r = await session.run({ ...batch.feeds, train: tensorValue("bool", [], Uint8Array.of(1)) });
    await session.release();
    const e = expected[i];
    const name = s.lossFunction;
    close(r.chosen_logps.data as Float32Array, e.chosen_logps, `${name} chosen log-probabilities`);
    close(r.rejected_logps.data as Float32Array, e.rejected_logps, `${name} rejected log-probabilities`);
    close(r.loss.data as Float32Array, [e.loss], `${name} loss`);
    close(r.chosen_rewards.data as Float32Array, e.chosen_rewards, `${name} chosen rewards`, 1e-4);
    for (const n of names) close(r[`grad.${n}`].data as Float32Array, e.grads[n], `${name} d/d ${n}`);
  }
});

test("the reference model reuses the policy's weights: the ONNX holds one copy of each", async () => {
  const { backbone } = await tinyLlamaWithAdapter();
  const policy = backbone.buildGraph({ training: true });
  const before = policy.graph.params.length;
  const reference = backbone.buildReferenceGraph(policy);
  assert.equal(policy.graph.params.length, before, "no parameter declared by the reference");
  assert.equal(reference.graph, policy.graph);
  assert.deepEqual(reference.trainableParams, []);
  assert.notEqual(reference.hidden, policy.hidden);
  const modelPath = path.join(backbone.folder, "reference-check.onnx");
  const both = emitOnnx(policy.graph, { a: policy.logits, b: reference.logits }, { modelPath });
  const single = emitOnnx(backbone.buildGraph({ training: true }).graph, { a: policy.logits }, { modelPath });
  const weights = (m: typeof both) =>
    (m.proto.graph?.initializer ?? []).map((t) => t.name ?? "").filter((n) => /^(model\.|lm_head)/.test(n));
  const names = weights(both);
  assert.equal(new Set(names).size, names.length, "every weight once");
  assert.deepEqual(new Set(names), new Set(weights(single)), "the same weights as the policy alone");
  assert.ok(names.includes("model.embed_tokens.weight"));
  assert.ok((both.proto.graph?.node?.length ?? 0) > (single.proto.graph?.node?.length ?? 0));
  assert.throws(
    () => backbone.buildReferenceGraph(backbone.buildGraph({ training: true, trainBase: true })),
    /is trained \(full fine-tuning\)/,
  );
});
