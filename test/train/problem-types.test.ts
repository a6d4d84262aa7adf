/**
 * Problem types are plug-ins: `problem_type` accepts the registry's names and refuses others with the list; the
 * training loop trains whatever `ProblemType` it is given — its step, its batches' feeds, its validation metrics
 * (which pick the best checkpoint) — and nothing about causal LM is wired into the loop itself.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import {
  backboneForTraining,
  causalLm,
  type EvalEvent,
  Experiment,
  type ProblemData,
  type ProblemType,
  parseExperimentConfig,
  problemType,
  trainingTokenizer,
  trainLoop,
} from "../../sdk/train";
import { arithmeticDataset, tinyLlama } from "./fixtures";

test("problem_type accepts the registered names and refuses others, listing them", () => {
  assert.equal(problemType("causal_lm"), causalLm);
  assert.throws(
    () => problemType("classification"),
    (e: Error) =>
      e instanceof ConfigError &&
      /'classification' is not a problem type; expected one of causal_lm/.test(e.message),
  );
  assert.throws(
    () => parseExperimentConfig({ problem_type: "classification", architecture: { backbone: "m" } }),
    (e: Error) => e instanceof ConfigError && /problem_type/.test(e.message) && /causal_lm/.test(e.message),
  );
  const exp = Experiment.create({ name: "p" }).backbone("m");
  assert.equal(exp.problem("causal_lm").config.problemType, "causal_lm");
  assert.equal(exp.set({ problem_type: "causal_lm" }).config.problemType, "causal_lm");
  assert.throws(() => exp.set({ problem_type: "regression" }).config, /causal_lm.*regression/s);
});

test("the training loop runs the problem type it is given: its step, its feeds, its metrics", async () => {
  const config = Experiment.create({ name: "plug" })
    .backbone(await tinyLlama())
    .lora({ r: 4, alpha: 8, targetModules: ["q_proj", "v_proj"] })
    .train({ epochs: 2, batchSize: 4, learningRate: 5e-3, evaluationEpochs: 1, saveCheckpoint: "disable" })
    .environment({ seed: 3, threads: 1 }).config;
  const backbone = await backboneForTraining(config, 3);
  const calls = { createStep: 0, trainFeeds: 0, evalFeeds: 0, validate: 0 };
  // Counts how the loop uses the data: every micro-batch it trains on is fed through this problem's batches.
  const counted = (data: ProblemData): ProblemData => ({
    ...data,
    batches(o) {
      const inner = data.batches(o);
      return {
        numBatches: inner.numBatches,
        *[Symbol.iterator]() {
          for (const b of inner)
            yield {
              ...b,
              feeds(seed: number) {
                if (seed < 0) calls.evalFeeds += 1;
                else calls.trainFeeds += 1;
                return b.feeds(seed);
              },
            };
        },
      };
    },
  });
  // A problem type of the test's own: causal LM's step, with a validation metric that rises with each pass.
  const probe: ProblemType = {
    ...causalLm,
    metricNames: ["passes"],
    async createStep(o) {
      calls.createStep += 1;
      return causalLm.createStep(o);
    },
    async validate(o) {
      calls.validate += 1;
      const r = await causalLm.validate({ ...o, metrics: [] });
      return { ...r, metrics: { passes: calls.validate } };
    },
  };
  const prepared = await probe.prepare({
    config,
    dataset: arithmeticDataset(),
    tokenizer: trainingTokenizer(backbone),
    onWarning: () => {},
  });
  const evals: EvalEvent[] = [];
  const passes = { name: "passes", direction: "max" as const, compute: async () => ({ value: 0 }) };
  const result = await trainLoop({
    backbone,
    trainBase: false,
    problem: probe,
    config,
    train: counted(prepared.train),
    validation: prepared.validation && counted(prepared.validation),
    training: config.training,
    seed: 3,
    metrics: [passes],
    callbacks: [{ onEval: (e) => void evals.push(e) }],
  });
  await backbone.dispose();
  assert.equal(result.status, "completed", result.error?.message);
  assert.equal(calls.createStep, 1);
  assert.equal(calls.trainFeeds, result.step); // one micro-batch per step (no accumulation)
  assert.equal(result.step, 12); // 24 training rows / 4 per batch × 2 epochs
  assert.equal(calls.validate, 2);
  assert.equal(calls.evalFeeds, 2 * 2); // 8 validation rows in batches of 4, at each evaluation
  assert.deepEqual(
    evals.map((e) => e.metrics.passes),
    [1, 2],
  );
  assert.deepEqual(result.best, { metric: "passes", value: 2, step: 12 });
});
