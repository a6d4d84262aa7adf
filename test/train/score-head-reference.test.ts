/**
 * The scores head against an independent PyTorch implementation: the tiny Llama's final hidden states (PyTorch's
 * reference model), the head's logits on each row's last non-padding token, each loss (cross-entropy, binary
 * cross-entropy with logits, MSE, MAE) and its gradient with respect to `score.weight`, to ≤ 1e-5.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { compile, grad, type TensorValue, tensorValue } from "../../sdk/engine";
import { Backbone } from "../../sdk/models";
import { initialHead, lastTokenMask, type ScoreLoss, scoreLogits, scoreLoss } from "../../sdk/train";
import { DEFAULT_PYTHON, runReferenceScript, torchAvailable, torchReference } from "../reference";
import { tinyLlama } from "./fixtures";

const ids = [
  [5, 17, 42, 99, 7, 3],
  [8, 120, 64, 0, 0, 0],
  [33, 34, 35, 36, 0, 0],
];
const mask = ids.map((r, b) => r.map((_, t) => (t < [6, 3, 4][b] ? 1 : 0)));
const K = 3;
const labelsOf: Record<ScoreLoss, number[] | number[][]> = {
  CrossEntropyLoss: [2, 0, 1],
  BinaryCrossEntropyLoss: [
    [1, 0, 1],
    [0, 0, 1],
    [1, 1, 0],
  ],
  MSELoss: [
    [1.5, -2, 0.25],
    [3, 0.5, -1],
    [0, 2, 4],
  ],
  MAELoss: [
    [1.5, -2, 0.25],
    [3, 0.5, -1],
    [0, 2, 4],
  ],
};

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  return Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

test("score head logits, losses and head gradients equal PyTorch's", async (t) => {
  if (!(await torchAvailable())) return t.skip("python3-torch is not installed");
  const model = await tinyLlama();
  const backbone = await Backbone.load(model, { threads: 1 });
  const B = ids.length;
  const T = ids[0].length;
  const C = backbone.config.hiddenSize;
  // Large enough values that every loss has non-trivial gradients.
  const weight = initialHead(K, C, 5).map((v) => v * 50);
  const torch = await torchReference({
    model,
    inputIds: ids,
    attentionMask: mask,
    hidden: true,
    positions: "arange",
  });
  const flat = (rows: number[][]) => BigInt64Array.from(rows.flat(), BigInt);
  const positions = ids.map((r) => r.map((_, t) => t));
  const lastToken = lastTokenMask({ attentionMask: flat(mask), batchSize: B, seqLen: T });
  try {
    for (const loss of Object.keys(labelsOf) as ScoreLoss[]) {
      const built = backbone.buildGraph();
      const head = built.graph.param(
        "score.weight",
        [K, C],
        { kind: "inline", data: weight },
        { trainable: true },
      );
      const logits = scoreLogits(built, head);
      const l = scoreLoss(logits, loss, K);
      const [dHead] = grad(l, [head]);
      const session = await compile(
        built.graph,
        { logits, loss: l, grad: dHead as NonNullable<typeof dHead> },
        {
          modelPath: path.join(backbone.folder, `score-ref-${loss}.onnx`),
        },
      );
      const labels = labelsOf[loss];
      const labelFeed: Record<string, TensorValue> =
        loss === "CrossEntropyLoss"
          ? { class_labels: tensorValue("int64", [B], BigInt64Array.from(labels as number[], BigInt)) }
          : { targets: tensorValue("float32", [B, K], Float32Array.from((labels as number[][]).flat())) };
      const out = await session.run({
        input_ids: tensorValue("int64", [B, T], flat(ids)),
        attention_mask: tensorValue("int64", [B, T], flat(mask)),
        position_ids: tensorValue("int64", [B, T], flat(positions)),
        last_token: tensorValue("float32", [B, T], lastToken),
        ...labelFeed,
      });
      await session.release();
      const job = path.join(os.tmpdir(), `score-head-${process.pid}-${loss}.json`);
      const rows = Array.from({ length: K }, (_, k) => Array.from(weight.subarray(k * C, (k + 1) * C)));
      writeFileSync(job, JSON.stringify({ hidden: torch.hidden, mask, weight: rows, loss, labels }));
      const ref = JSON.parse(await runReferenceScript(DEFAULT_PYTHON, "score_head_reference.py", [job]));
      const dl = maxDiff(out.logits.data as Float32Array, ref.logits.flat());
      const dg = maxDiff(out.grad.data as Float32Array, ref.grad.flat());
      const dLoss = Math.abs(Number(out.loss.data[0]) - ref.loss);
      assert.ok(
        dl <= 1e-5 * Math.max(1, ...ref.logits.flat().map(Math.abs)),
        `${loss}: logits differ by ${dl}`,
      );
      assert.ok(dLoss <= 1e-5 * Math.max(1, ref.loss), `${loss}: loss ${out.loss.data[0]} vs ${ref.loss}`);
      assert.ok(dg <= 1e-5, `${loss}: gradient differs by ${dg}`);
      assert.ok(Math.max(...ref.grad.flat().map(Math.abs)) > 1e-3, `${loss}: a trivial gradient`);
    }
  } finally {
    await backbone.dispose();
  }
});
