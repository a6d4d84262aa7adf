/**
 * Recomputation (`gradientCheckpointing`) on the tiny Llama with LoRA on every linear module: two training
 * steps give the same losses, gradient norms and updated LoRA tensors as the plain step (1e-5), with LoRA
 * dropout on (the recomputed masks must be the forward's) and off; and `architecture.gradient_checkpointing`
 * reaches the trainer's step (an Experiment with it trains the same losses).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Dataset } from "../../sdk/data";
import { type Feeds, seededRandom, tensorValue } from "../../sdk/engine";
import { Backbone } from "../../sdk/models";
import { Experiment, LoRAConfig, type StepEvent } from "../../sdk/train";
import { createCausalLmStep } from "../../sdk/train/trainer";
import { arithmeticRecords, experimentsRoot, fitCompleted, tinyLlama } from "./fixtures";

const B = 2;
const T = 12;
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
});

/** A batch of random ids with padding at the end of the second row. */
function feeds(vocab: number, dropoutSeed: number): Feeds {
  const rand = seededRandom(9);
  const ids = Array.from({ length: B * T }, () => BigInt(Math.floor(rand() * vocab)));
  const mask = Array.from({ length: B * T }, (_, i) => (i >= T && i % T >= T - 3 ? 0n : 1n));
  const labels = ids.map((id, i) => (mask[i] === 0n || i % T === 0 ? -100n : id));
  const positions = ids.map((_, i) => BigInt(i % T));
  const i64 = (v: bigint[]) => tensorValue("int64", [B, T], BigInt64Array.from(v));
  return {
    input_ids: i64(ids),
    attention_mask: i64(mask),
    position_ids: i64(positions),
    labels: i64(labels),
    dropout_seed: tensorValue("int64", [], BigInt64Array.of(BigInt(dropoutSeed))),
  };
}

/** Two steps of a fresh LoRA (every linear module, dropout 0.2); the second one moves lora_A too. */
async function twoSteps(gradientCheckpointing: boolean, dropoutSeed: number) {
  const dir = await tinyLlama();
  const backbone = await Backbone.load(dir, {
    tokenizer: false,
    lora: { r: 4, alpha: 8, dropout: 0.2, targetModules: "all-linear", seed: 3 },
  });
  backbones.push(backbone);
  const { step } = await createCausalLmStep({
    backbone,
    gradientCheckpointing,
    // ε = 1: the update depends on the gradient's size (with a tiny ε AdamW's first step is ≈ lr·sign(g)).
    optimizer: { eps: 1, weightDecay: 0.01 },
    maxGradNorm: 1e6,
    fileName: `step-${gradientCheckpointing ? "recompute" : "plain"}.onnx`,
  });
  const f = feeds(backbone.config.vocabSize, dropoutSeed);
  const results = [await step.step(f, { lr: 10 }), await step.step(f, { lr: 10 })];
  return { results, params: step.exportState().params };
}

async function assertSameSteps(dropoutSeed: number) {
  const plain = await twoSteps(false, dropoutSeed);
  const recomputed = await twoSteps(true, dropoutSeed);
  for (const [i, r] of recomputed.results.entries()) {
    const p = plain.results[i];
    assert.ok(Math.abs(r.loss - p.loss) <= 1e-5, `step ${i + 1} loss ${r.loss} vs plain ${p.loss}`);
    assert.ok(
      Math.abs(r.gradNorm - p.gradNorm) <= 1e-5 * Math.max(1, p.gradNorm),
      `step ${i + 1} grad norm ${r.gradNorm} vs plain ${p.gradNorm}`,
    );
  }
  const names = Object.keys(plain.params).sort();
  assert.deepEqual(Object.keys(recomputed.params).sort(), names);
  assert.equal(names.length, 2 * 7 * 2, "lora_A and lora_B of seven modules in two layers");
  let moved = 0;
  for (const n of names) {
    const a = recomputed.params[n];
    const b = plain.params[n];
    for (let j = 0; j < a.length; j++) {
      assert.ok(Math.abs(a[j] - b[j]) <= 1e-5, `${n}[${j}]: ${a[j]} vs plain ${b[j]}`);
      moved = Math.max(moved, Math.abs(b[j]));
    }
  }
  assert.ok(moved > 1e-3, `the steps must move the adapters well above the tolerance (moved ${moved})`);
}

test("recomputation: two LoRA steps equal the plain steps (1e-5), LoRA dropout on", async () => {
  await assertSameSteps(5);
});

test("recomputation: two LoRA steps equal the plain steps (1e-5), dropout off", async () => {
  await assertSameSteps(-1);
});

test("architecture.gradient_checkpointing: an Experiment trains the same losses with it", async () => {
  const losses = async (gradientCheckpointing: boolean) => {
    const exp = Experiment.create({ name: `gc-${gradientCheckpointing}`, root: experimentsRoot() })
      .backbone(await tinyLlama(), { gradientCheckpointing })
      .dataset(Dataset.fromRecords(arithmeticRecords(8)).columns({ prompt: "question", answer: "answer" }))
      .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0.1, targetModules: "all-linear" }))
      .train({ epochs: 1, batchSize: 4, learningRate: 1e-2, schedule: "constant", evaluationEpochs: 1 })
      .environment({ seed: 2, threads: 1 });
    assert.equal(exp.config.architecture.gradientCheckpointing, gradientCheckpointing);
    const run = await fitCompleted(exp);
    return run.history.flatMap((r) => (r.type === "step" ? [(r as StepEvent).loss] : []));
  };
  const plain = await losses(false);
  const recomputed = await losses(true);
  assert.equal(plain.length, 2);
  for (const [i, l] of recomputed.entries())
    assert.ok(Math.abs(l - plain[i]) <= 1e-5, `step ${i + 1}: ${l} vs ${plain[i]}`);
});
