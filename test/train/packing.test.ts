/**
 * Sequence packing in the step graph (`packing: true`: the `segment_ids` input): on tiny random checkpoints with
 * a random LoRA adapter — a Llama, a Mistral with a sliding window on every layer, and a Gemma 2 (sliding window
 * on alternate layers, soft-capped scores and logits) — the mean loss and the LoRA gradients of a packed batch
 * equal those of the same samples one per row, padded (1e-5), and changing the tokens of the first sample of a
 * packed row leaves the second one's per-token losses unchanged (while the same row without segment ids does
 * leak, so the check can fail). Dimension letters: B batch, T time, V vocabulary.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { type Batch, buildBatch, type TokenizedExample } from "../../sdk/data";
import { compile, crossEntropy, grad, reshape, seededRandom } from "../../sdk/engine";
import { Backbone } from "../../sdk/models";
import { batchFeeds } from "../../sdk/train";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../reference";

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
});

const MODELS: TinyCheckpointOptions[] = [
  { arch: "llama", seed: 4 },
  { arch: "mistral", seed: 5, slidingWindow: 3 },
  { arch: "gemma2", seed: 6, slidingWindow: 3 },
];
const LORA = { r: 4, alpha: 8, targets: ["q_proj", "v_proj", "down_proj"] };

async function load(options: TinyCheckpointOptions): Promise<Backbone> {
  const dir = await makeTinyCheckpoint({ ...options, lora: LORA });
  const backbone = await Backbone.load(dir, { tokenizer: false, adapter: path.join(dir, "adapter") });
  backbones.push(backbone);
  return backbone;
}

/** Samples of the given lengths with random ids; the first two tokens of each are prompt (not trained on). */
function samples(lengths: number[], vocab: number, seed: number): TokenizedExample[] {
  const rand = seededRandom(seed);
  return lengths.map((n, i) => ({
    ids: Int32Array.from({ length: n }, () => 1 + Math.floor(rand() * (vocab - 1))),
    target: Uint8Array.from({ length: n }, (_, k) => (k >= 2 ? 1 : 0)),
    row: i + 1,
  }));
}

const layout = (rows: TokenizedExample[][], seqLen: number, packed: boolean): Batch =>
  buildBatch(rows, { seqLen, padTokenId: 0, packed, epoch: 0, index: 0 });

/** A session computing the mean loss, the logits and the gradient of every LoRA tensor, with or without packing. */
async function lossSession(backbone: Backbone, packing: boolean) {
  const built = backbone.buildGraph({ training: true, packing });
  const g = built.graph;
  const V = built.logits.shape[2];
  const labels = reshape(g.input("labels", "int64", ["B", "T"]), ["B*T"]);
  const loss = crossEntropy(reshape(built.logits, ["B*T", V]), labels);
  const params = built.trainableParams;
  const grads = grad(loss, params);
  const outputs = Object.fromEntries([
    ["loss", loss],
    ["logits", built.logits],
    ...params.map((_, i) => [`grad.${i}`, grads[i] as NonNullable<(typeof grads)[number]>]),
  ]);
  const modelPath = path.join(backbone.folder, `loss-${packing ? "packed" : "plain"}.onnx`);
  const session = await compile(g, outputs, { modelPath });
  backbone.weights.close();
  return {
    async run(batch: Batch) {
      const out = await session.run(batchFeeds(batch, -1));
      const gradients = params.map((_, i) => out[`grad.${i}`].data as Float32Array);
      return { loss: Number(out.loss.data[0]), logits: out.logits.data as Float32Array, gradients };
    },
    release: () => session.release(),
  };
}

/** Cross-entropy of each labelled position of row `b`, from `[B, T, V]` logits, for positions `from..to−1`. */
function tokenLosses(
  batch: Batch,
  logits: Float32Array,
  V: number,
  b: number,
  from: number,
  to: number,
): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t++) {
    const label = Number(batch.labels[b * batch.seqLen + t]);
    if (label < 0) continue;
    const row = logits.subarray((b * batch.seqLen + t) * V, (b * batch.seqLen + t + 1) * V);
    const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
    const logSum = Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max;
    out.push(logSum - row[label]);
  }
  return out;
}

for (const model of MODELS) {
  const name = `${model.arch}${model.slidingWindow ? ` (sliding window ${model.slidingWindow})` : ""}`;

  test(`${name}: a packed batch has the loss and LoRA gradients of its samples one per row`, async () => {
    const backbone = await load(model);
    const V = backbone.config.vocabSize;
    const [a, b, c, d, e] = samples([7, 5, 4, 9, 6], V, 1);
    const packed = layout(
      [
        [a, b, c],
        [d, e],
      ],
      16,
      true,
    );
    const unpacked = layout([[a], [b], [c], [d], [e]], 9, false);
    assert.equal(packed.numTargetTokens, unpacked.numTargetTokens);
    const withSegments = await lossSession(backbone, true);
    const plain = await lossSession(backbone, false);
    const p = await withSegments.run(packed);
    const u = await plain.run(unpacked);
    await withSegments.release();
    await plain.release();
    assert.ok(Math.abs(p.loss - u.loss) <= 1e-5 * u.loss, `loss: packed ${p.loss} vs one per row ${u.loss}`);
    let diff = 0;
    let scale = 0;
    u.gradients.forEach((gu, i) => {
      for (let j = 0; j < gu.length; j++) {
        diff = Math.max(diff, Math.abs(p.gradients[i][j] - gu[j]));
        scale = Math.max(scale, Math.abs(gu[j]));
      }
    });
    assert.ok(
      scale > 0 && u.gradients.length === 2 * 3 * 2,
      "every LoRA tensor of both layers has a gradient",
    );
    assert.ok(
      diff <= 1e-5 * scale,
      `gradients: max difference ${diff.toExponential(2)} of ${scale.toExponential(2)}`,
    );
  });

  test(`${name}: changing the first sample of a packed row leaves the second one's per-token losses unchanged`, async () => {
    const backbone = await load(model);
    const V = backbone.config.vocabSize;
    const [first, second] = samples([6, 8], V, 2);
    const [otherFirst] = samples([6], V, 3);
    const rowA = layout([[first, second]], 14, true);
    const rowB = layout([[otherFirst, second]], 14, true);
    const withSegments = await lossSession(backbone, true);
    const [la, lb] = [await withSegments.run(rowA), await withSegments.run(rowB)];
    await withSegments.release();
    const secondA = tokenLosses(rowA, la.logits, V, 0, 6, 14);
    const secondB = tokenLosses(rowB, lb.logits, V, 0, 6, 14);
    assert.equal(secondA.length, 6); // 8 tokens: positions 1–6 predict answer tokens, the last one nothing
    for (const [i, x] of secondA.entries()) {
      assert.ok(Math.abs(x - secondB[i]) <= 1e-5 * x, `token ${i}: ${x} vs ${secondB[i]}`);
    }
    const firstA = tokenLosses(rowA, la.logits, V, 0, 0, 6);
    const firstB = tokenLosses(rowB, lb.logits, V, 0, 0, 6);
    assert.ok(
      firstA.some((x, i) => Math.abs(x - firstB[i]) > 1e-3),
      "the first sample's own losses change",
    );
    // Without segment ids the second sample sees the first: the check above would fail.
    const plain = await lossSession(backbone, false);
    const [pa, pb] = [await plain.run(rowA), await plain.run(rowB)];
    await plain.release();
    const leakA = tokenLosses(rowA, pa.logits, V, 0, 6, 14);
    const leakB = tokenLosses(rowB, pb.logits, V, 0, 6, 14);
    assert.ok(
      leakA.some((x, i) => Math.abs(x - leakB[i]) > 1e-4),
      "without segment ids the samples leak",
    );
  });
}
