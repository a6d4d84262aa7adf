/**
 * LoRA on the engine against the PyTorch reference: with a PEFT adapter (plain, rsLoRA and DoRA, tied and untied
 * LM heads, fused modules) the logits match, and the gradients of the causal-LM loss w.r.t. every lora_A/lora_B
 * tensor and DoRA magnitude (the engine's `grad`, the DoRA norm detached as in PEFT) match PyTorch autograd. Fresh adapters (B = 0) leave the logits unchanged.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { compile, crossEntropy, grad, reshape, type Tensor, tensorValue } from "../../sdk/engine";
import { Backbone } from "../../sdk/models";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { assertAllClose, BATCH, maxAbsError } from "./compare";

const CASES: { label: string; options: TinyCheckpointOptions }[] = [
  {
    label: "llama, every linear + lm_head",
    options: {
      arch: "llama",
      seed: 5,
      lora: {
        r: 4,
        alpha: 8,
        targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"],
      },
    },
  },
  {
    label: "qwen2 rsLoRA (biases)",
    options: {
      arch: "qwen2",
      seed: 6,
      lora: { r: 2, alpha: 4, targets: ["k_proj", "up_proj"], rslora: true },
    },
  },
  {
    label: "phi3 (fused qkv_proj and gate_up_proj, partial rotary)",
    options: {
      arch: "phi3",
      seed: 8,
      partialRotary: 0.75,
      lora: { r: 4, alpha: 8, targets: ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"] },
    },
  },
  {
    label: "llama DoRA, every linear + lm_head",
    options: {
      arch: "llama",
      seed: 11,
      lora: { r: 4, alpha: 8, dora: true, targets: ["q_proj", "v_proj", "o_proj", "down_proj", "lm_head"] },
    },
  },
  {
    label: "qwen2 DoRA with rsLoRA (biases)",
    options: {
      arch: "qwen2",
      seed: 12,
      lora: { r: 2, alpha: 4, dora: true, rslora: true, targets: ["q_proj", "k_proj", "up_proj"] },
    },
  },
  {
    label: "phi3 DoRA (fused qkv_proj and gate_up_proj)",
    options: {
      arch: "phi3",
      seed: 13,
      lora: { r: 4, alpha: 8, dora: true, targets: ["qkv_proj", "gate_up_proj"] },
    },
  },
  {
    label: "olmo2 (q/k norm over the projection, post-norms)",
    options: { arch: "olmo2", seed: 9, lora: { r: 2, alpha: 4, targets: ["q_proj", "k_proj", "down_proj"] } },
  },
  {
    label: "gemma (tied head; lm_head targeted but absent from the adapter)",
    options: {
      arch: "gemma",
      seed: 7,
      lora: { r: 3, alpha: 6, targets: ["q_proj", "down_proj", "lm_head"] },
    },
  },
  {
    label: "gemma2 (soft-caps, window 4 < T)",
    options: {
      arch: "gemma2",
      seed: 8,
      slidingWindow: 4,
      lora: { r: 2, alpha: 4, targets: ["q_proj", "k_proj", "o_proj", "gate_proj"] },
    },
  },
  {
    label: "gemma3_text (q/k norms, local RoPE, window 4 < T)",
    options: {
      arch: "gemma3_text",
      seed: 9,
      layers: 3,
      slidingWindow: 4,
      lora: { r: 2, alpha: 4, targets: ["q_proj", "v_proj", "up_proj", "down_proj"] },
    },
  },
  {
    label: "gemma3 image-text (PEFT names under language_model.model.)",
    options: {
      arch: "gemma3",
      seed: 10,
      layers: 3,
      slidingWindow: 4,
      lora: { r: 2, alpha: 4, targets: ["k_proj", "o_proj", "gate_proj"] },
    },
  },
];

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
});

/**
 * Unshifted labels (HF convention): the ids, −100 at padding and after padding, so no padded position is asked
 * to predict a token. (With a fully masked attention row the reference's `masked_fill` blocks the gradient to q/k
 * while an additive mask, ours and HF eager's, does not: such positions must not carry loss for the gradients
 * to be comparable.)
 */
const LABELS = BATCH.ids.map((row, b) =>
  row.map((id, t) => (BATCH.mask[b][t] && (t === 0 || BATCH.mask[b][t - 1]) ? id : -100)),
);

/** {@link LABELS} shifted left for next-token prediction. */
function shiftedLabels(labels: number[][]): BigInt64Array {
  return BigInt64Array.from(labels.flatMap((row) => row.map((_, t) => BigInt(row[t + 1] ?? -100))));
}

async function lossAndGrads(backbone: Backbone): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const built = backbone.buildGraph();
  const V = backbone.config.vocabSize;
  const labels = built.graph.input("labels", "int64", ["B", "T"]);
  const loss = crossEntropy(reshape(built.logits, ["B*T", V]), reshape(labels, ["B*T"]));
  const grads = grad(loss, built.trainableParams);
  const outputs: Record<string, Tensor> = { loss };
  const names = built.trainableParams.map((p) => (p.source.kind === "param" ? p.source.name : ""));
  names.forEach((name, i) => {
    outputs[`${name}.grad`] = grads[i] as Tensor;
  });
  const session = await compile(built.graph, outputs, {
    modelPath: path.join(backbone.folder, "grads.onnx"),
  });
  const [B, T] = [BATCH.ids.length, BATCH.ids[0].length];
  const i64 = (rows: number[][]) => tensorValue("int64", [B, T], BigInt64Array.from(rows.flat().map(BigInt)));
  const arange = BATCH.ids.map((row) => row.map((_, t) => t));
  const out = await session.run({
    input_ids: i64(BATCH.ids),
    attention_mask: i64(BATCH.mask),
    position_ids: i64(arange),
    labels: tensorValue("int64", [B, T], shiftedLabels(LABELS)),
  });
  await session.release();
  const result = new Map(names.map((n) => [n, out[`${n}.grad`].data as Float32Array]));
  return { loss: (out.loss.data as Float32Array)[0], grads: result };
}

test("adapter logits and LoRA gradients match PyTorch", async () => {
  const dirs = await Promise.all(CASES.map((c) => makeTinyCheckpoint(c.options)));
  const refs = await torchReferences({
    runs: dirs.map((model) => ({
      model,
      adapter: path.join(model, "adapter"),
      inputIds: BATCH.ids,
      attentionMask: BATCH.mask,
      labels: LABELS,
      grads: true,
    })),
  });
  for (const [i, c] of CASES.entries()) {
    const backbone = await Backbone.load(dirs[i], {
      tokenizer: false,
      adapter: path.join(dirs[i], "adapter"),
    });
    backbones.push(backbone);
    const { data } = await backbone.logits(BATCH.ids, BATCH.mask);
    const err = maxAbsError(data, refs[i].logits, BATCH.mask);
    assert.ok(err <= 1e-4, `${c.label}: logits max abs error ${err.toExponential(2)} > 1e-4`);
    const ours = await lossAndGrads(backbone);
    assert.ok(
      Math.abs(ours.loss - (refs[i].loss as number)) <= 1e-5,
      `${c.label}: loss ${ours.loss} vs ${refs[i].loss}`,
    );
    const expected = refs[i].grads ?? {};
    assert.deepEqual(
      [...ours.grads.keys()].sort(),
      Object.keys(expected).sort(),
      `${c.label}: LoRA tensor names`,
    );
    for (const [name, g] of ours.grads) assertAllClose(g, expected[name].data, `${c.label}: ${name}`);
  }
});

test("fresh LoRA (B = 0) leaves the logits of the base model unchanged", async () => {
  const dir = await makeTinyCheckpoint({ arch: "qwen3" });
  const [ref] = await torchReferences({
    runs: [{ model: dir, inputIds: BATCH.ids, attentionMask: BATCH.mask }],
  });
  const backbone = await Backbone.load(dir, {
    tokenizer: false,
    lora: { r: 4, alpha: 16, targetModules: "all-linear", seed: 1 },
  });
  backbones.push(backbone);
  const built = backbone.buildGraph();
  assert.equal(built.trainableParams.length, 2 * 7 * backbone.config.numLayers);
  const a = backbone.lora?.tensors().get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  const bound = 1 / Math.sqrt(backbone.config.hiddenSize);
  assert.ok(a?.some((v) => v !== 0) && a.every((v) => Math.abs(v) <= bound), "A is kaiming-uniform");
  const { data } = await backbone.logits(BATCH.ids, BATCH.mask);
  const err = maxAbsError(data, ref.logits, BATCH.mask);
  assert.ok(err <= 1e-4, `max abs error ${err.toExponential(2)} > 1e-4`);
});
