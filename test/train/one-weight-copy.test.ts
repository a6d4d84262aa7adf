/**
 * One copy of the frozen weights per process: a backbone holds at most one inference session, compiled when
 * first needed; training holds only its step session (the backbone's is released before it compiles); after
 * `fit()` the chat and `run.evaluate()` each hold one session; results are those of a fresh backbone.
 * Sessions are counted with the engine's `liveSessionCount`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { liveSessionCount } from "../../sdk/engine";
import { Metrics } from "../../sdk/eval";
import { Backbone } from "../../sdk/models";
import { Experiment, type TrainCallbacks } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot, tinyLlama } from "./fixtures";

const lora = { r: 4, alpha: 8, targetModules: "all-linear" as const, seed: 1 };

test("a backbone compiles its forward session on first use and holds one inference session at a time", async () => {
  const dir = await tinyLlama();
  const base = liveSessionCount();
  const backbone = await Backbone.load(dir, { lora });
  try {
    assert.equal(liveSessionCount() - base, 0, "nothing is compiled at load");
    const first = await backbone.logits([[5, 6, 7, 8]]);
    assert.equal(liveSessionCount() - base, 1, "the forward session");
    const [generated] = await backbone.generate({ inputIds: [[5, 6, 7, 8]], maxNewTokens: 3 });
    assert.equal(liveSessionCount() - base, 1, "the KV-cache session replaced the forward one");
    const again = await backbone.logits([[5, 6, 7, 8]]);
    assert.equal(liveSessionCount() - base, 1);
    assert.deepEqual(again.data, first.data, "logits unchanged after recompiling");
    // Greedy generation's first token is the argmax of the forward pass's last position.
    const V = backbone.config.vocabSize;
    const last = first.data.subarray(3 * V, 4 * V);
    assert.equal(generated.tokenIds[0], last.indexOf(Math.max(...last)));
    await backbone.updateParameters(new Map());
    assert.equal(liveSessionCount() - base, 0, "updateParameters releases the session");
  } finally {
    await backbone.dispose();
  }
  assert.equal(liveSessionCount() - base, 0, "dispose releases everything");
});

test("fit() holds only the step session while training; chat and evaluate after it hold one", async () => {
  const dir = await tinyLlama();
  const base = liveSessionCount();
  const backbone = await Backbone.load(dir, { lora });
  await backbone.logits([[1, 2, 3]]); // a session held before the run must not stay through it
  const during: number[] = [];
  const counter: TrainCallbacks = { onStep: () => void during.push(liveSessionCount() - base) };
  const run = await Experiment.create({ root: experimentsRoot() })
    .backbone(backbone)
    .dataset(arithmeticDataset(16))
    .lora({ r: 4, alpha: 8, targetModules: "all-linear" })
    .train({ epochs: 1, batchSize: 4, learningRate: 1e-2, evaluateBeforeTraining: true })
    .fit({ display: false, callbacks: [counter] });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    assert.ok(during.length > 0);
    assert.deepEqual(new Set(during), new Set([1]), `live sessions at each step: ${during}`);
    assert.equal(liveSessionCount() - base, 0, "the step session is released when fit() ends");
    const [chat] = await run.backbone.generate({
      messages: [{ role: "user", content: "What is 1 plus 2?" }],
    });
    assert.equal(liveSessionCount() - base, 1);
    const evaluation = await run.evaluate();
    assert.equal(liveSessionCount() - base, 1);
    // The same trained values in a fresh backbone give the same answer.
    const fresh = await Backbone.load(dir, { lora });
    try {
      await fresh.updateParameters(new Map(Object.entries(run.result.params)));
      const [again] = await fresh.generate({ messages: [{ role: "user", content: "What is 1 plus 2?" }] });
      assert.equal(again.text, chat.text);
    } finally {
      await fresh.dispose();
    }
    assert.ok(Number.isFinite(evaluation.metrics.perplexity));
  } finally {
    await run.backbone.dispose();
  }
  assert.equal(liveSessionCount() - base, 0);
});

test("generated-text metrics during training release their inference session before the next step", async () => {
  const dir = await tinyLlama();
  const base = liveSessionCount();
  const during: number[] = [];
  const counter: TrainCallbacks = { onStep: () => void during.push(liveSessionCount() - base) };
  const run = await Experiment.create({ root: experimentsRoot() })
    .backbone(dir)
    .dataset(arithmeticDataset(16))
    .lora({ r: 4, alpha: 8, targetModules: "all-linear" })
    .prediction({ maxNewTokens: 2 })
    .metrics(Metrics.bleu())
    .train({ epochs: 1, batchSize: 4, learningRate: 1e-2, evaluationEpochs: 0.34 })
    .fit({ display: false, callbacks: [counter] });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    assert.ok(
      run.history.some((r) => r.type === "eval" && "bleu" in r.metrics),
      "BLEU was computed",
    );
    assert.deepEqual(new Set(during), new Set([1]), `live sessions at each step: ${during}`);
  } finally {
    await run.backbone.dispose();
  }
  assert.equal(liveSessionCount() - base, 0);
});
