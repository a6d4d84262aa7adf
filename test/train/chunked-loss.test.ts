/**
 * The fused, chunked LM head and cross-entropy (`linearCrossEntropy`, used by `createCausalLmStep` when the head
 * is frozen) against the plain head and `crossEntropy` (`lossChunkSize: 0`), on a tiny tied Qwen2 whose
 * vocabulary (600) spans three chunks of 256 (the last one uneven): the same training loss, evaluation loss,
 * gradient norm and LoRA updates after one step and after an accumulated step, with ignored labels and a batch
 * row that has no label at all. Also: which heads count as frozen.
 * Dimension letters: B batch, T time.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { type Feeds, tensorValue } from "../../sdk/engine";
import { Backbone } from "../../sdk/models";
import { createCausalLmStep } from "../../sdk/train";
import { frozenLmHead } from "../../sdk/train/trainer/frozen-lm-head";
import { makeTinyCheckpoint } from "../reference";

const [B, T, V] = [3, 6, 600];
const CHUNK = 256;
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
});

function feeds(seed: number): Feeds {
  const ids = Array.from({ length: B * T }, (_, i) => (i * 37 + seed * 101) % V);
  // Row 0: labels with an ignored position; row 1: shifted labels; row 2: no label at all.
  const labels = ids.map((_, i) => {
    const [b, t] = [Math.floor(i / T), i % T];
    if (b === 2 || t === T - 1 || (b === 0 && t === 1)) return -100;
    return ids[i + 1];
  });
  const i64 = (v: number[]) => tensorValue("int64", [B, T], BigInt64Array.from(v.map(BigInt)));
  return {
    input_ids: i64(ids),
    attention_mask: i64(ids.map(() => 1)),
    position_ids: i64(ids.map((_, i) => i % T)),
    labels: i64(labels),
    dropout_seed: tensorValue("int64", [], BigInt64Array.of(-1n)),
  };
}

/** With a random PEFT adapter (LoRA B ≠ 0, so every LoRA tensor gets a gradient), or fresh LoRA on `fresh`. */
async function tinyQwen(fresh?: [string, ...string[]]) {
  const dir = await makeTinyCheckpoint({
    arch: "qwen2",
    vocab: V,
    tie: true,
    seed: 3,
    lora: { r: 4, alpha: 8, targets: ["q_proj", "v_proj", "down_proj"] },
  });
  const backbone = await Backbone.load(dir, {
    tokenizer: false,
    ...(fresh ? { lora: { r: 4, targetModules: fresh } } : { adapter: path.join(dir, "adapter") }),
  });
  backbones.push(backbone);
  return backbone;
}

/** max |a − b| / max |b| over every tensor of two records. */
function relativeError(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let diff = 0;
  let scale = 0;
  for (const [k, v] of Object.entries(b)) {
    for (let i = 0; i < v.length; i++) {
      diff = Math.max(diff, Math.abs(a[k][i] - v[i]));
      scale = Math.max(scale, Math.abs(v[i]));
    }
  }
  return diff / scale;
}

/** One update (after an accumulated micro-step when `accumulate`) and an evaluation, with one loss path. */
async function runStep(backbone: Backbone, lossChunkSize: number, accumulate: boolean) {
  const { step } = await createCausalLmStep({
    backbone,
    lossChunkSize,
    accumulate,
    fileName: `step-${lossChunkSize}-${accumulate}.onnx`,
    // ε = 1: the first AdamW update is lr·g/(|g| + 1), so it follows the gradient's size, not only its sign.
    optimizer: { eps: 1, weightDecay: 0 },
  });
  const before = step.exportState().params;
  const evalLoss = (await step.evaluate(feeds(1))).loss;
  const micro = accumulate ? await step.accumulate(feeds(2), { weight: 7 }) : undefined;
  const r = await step.step(feeds(1), { lr: 1, weight: 10 });
  const after = step.exportState().params;
  await step.release();
  const delta = Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, v.map((x, i) => x - before[k][i])]),
  );
  return { evalLoss, loss: r.loss, microLoss: micro?.loss, gradNorm: r.gradNorm, delta };
}

for (const accumulate of [false, true]) {
  test(`chunked head and loss equal the plain ones${accumulate ? " with accumulation" : ""}`, async () => {
    const backbone = await tinyQwen();
    const plain = await runStep(backbone, 0, accumulate);
    const chunked = await runStep(backbone, CHUNK, accumulate);
    const close = (a: number, b: number, what: string) =>
      assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(b), `${what}: chunked ${a} vs plain ${b}`);
    close(chunked.loss, plain.loss, "training loss");
    close(chunked.evalLoss, plain.evalLoss, "evaluation loss");
    assert.ok(Math.abs(plain.evalLoss - plain.loss) <= 1e-6 * plain.loss, "evaluation and training losses");
    if (accumulate) close(chunked.microLoss!, plain.microLoss!, "micro-step loss");
    close(chunked.gradNorm, plain.gradNorm, "gradient norm");
    assert.ok(plain.gradNorm > 0);
    const err = relativeError(chunked.delta, plain.delta);
    assert.ok(err <= 1e-5, `LoRA updates: relative error ${err.toExponential(2)}`);
  });
}

test("the head counts as frozen only without LoRA on lm_head and without full fine-tuning", async () => {
  const tied = await tinyQwen();
  const weight = frozenLmHead(tied.buildGraph({ training: true }));
  assert.equal(weight?.source.kind === "param" && weight.source.name, "model.embed_tokens.weight");
  const headLora = await tinyQwen(["q_proj", "lm_head"]);
  assert.equal(frozenLmHead(headLora.buildGraph({ training: true })), undefined, "LoRA on lm_head");
  assert.equal(frozenLmHead(tied.buildGraph({ training: true, trainBase: true })), undefined, "full");
  await assert.rejects(createCausalLmStep({ backbone: tied, lossChunkSize: -1 }), /lossChunkSize must be 0/);
  // The plain path still trains the LoRA head.
  const { step, paramNames } = await createCausalLmStep({ backbone: headLora, fileName: "head-lora.onnx" });
  assert.ok(paramNames.some((n) => n.includes("lm_head")));
  const r = await step.step(feeds(1), { lr: 1e-3 });
  assert.ok(Number.isFinite(r.loss) && r.gradNorm > 0);
  await step.release();
});
