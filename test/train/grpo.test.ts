/**
 * GRPO end to end on the embedded demo model (`assets/tiny-llama`, pretrained on English prose): with a reward
 * that checks a format (the share of the completion written in the phoneme alphabet: capitals, digits and
 * spaces), the mean reward of the sampled completions and of the greedy validation completions rises over 16
 * steps, while training holds only its step session at each step. Bad reward functions: NaN before the first
 * step is refused naming the function and the row (no folder is left); a throw mid-run fails the step with its
 * message and keeps the last checkpoint; no reward functions at all is refused before anything is loaded.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Dataset } from "../../sdk/data";
import { liveSessionCount } from "../../sdk/engine";
import { ConfigError } from "../../sdk/errors";
import { Experiment, RewardError, type RewardFunction, type StepEvent } from "../../sdk/train";
import { experimentsRoot } from "./fixtures";

const TINY = path.resolve("assets/tiny-llama");
const records = (file: string, n: number) =>
  readFileSync(path.resolve("assets/demo-data", file), "utf8")
    .trim()
    .split("\n")
    .slice(0, n)
    .map((l) => JSON.parse(l) as Record<string, string>);
const data = (n: number) =>
  Dataset.fromRecords(records("train.jsonl", n))
    .columns({ prompt: "prompt", answer: "answer" })
    .validation({
      dataset: Dataset.fromRecords(records("validation.jsonl", 8)).columns({
        prompt: "prompt",
        answer: "answer",
      }),
    });

/** The share of the completion's characters that are in the phoneme alphabet (capitals, digits, spaces). */
function phonemeAlphabet(completion: string): number {
  return completion.length
    ? [...completion].filter((c) => /[A-Z0-9 ]/.test(c)).length / completion.length
    : 0;
}

const experiment = (rewards: RewardFunction[], n = 32) =>
  Experiment.create({ root: experimentsRoot() })
    .backbone(TINY)
    .dataset(data(n), { useChatTemplate: true })
    .lora({ r: 8, alpha: 16, targetModules: "all-linear", dropout: 0 })
    .problem("grpo", { rewards, numGenerations: 8, maxCompletionLength: 8 })
    .train({
      epochs: 1,
      batchSize: 2,
      learningRate: 1e-2,
      evaluationEpochs: 1,
      evaluateBeforeTraining: true,
    });

test("GRPO raises the mean reward of a format on the demo model, one weight copy at each step", async () => {
  const steps: StepEvent[] = [];
  const sessions: number[] = [];
  const base = liveSessionCount();
  const run = await experiment([phonemeAlphabet]).fit({
    display: false,
    callbacks: [
      {
        onStep: (e) => {
          steps.push(e);
          sessions.push(liveSessionCount() - base);
        },
      },
    ],
  });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    assert.equal(steps.length, 16);
    const reward = steps.map((e) => e.metrics?.reward as number);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const start = mean(reward.slice(0, 4));
    const end = mean(reward.slice(-4));
    assert.ok(end > start + 0.3, `mean reward of the first 4 steps ${start}, of the last 4 ${end}`);
    const evals = run.history.flatMap((r) => (r.type === "eval" ? [r.metrics.reward] : []));
    assert.equal(evals.length, 2);
    assert.ok(evals[1] > evals[0] + 0.2, `validation reward ${evals[0]} → ${evals[1]}`);
    assert.deepEqual(new Set(sessions), new Set([1]), `live sessions at each step: ${sessions}`);
    for (const e of steps) {
      assert.ok((e.metrics?.generation_seconds ?? 0) > 0, "the generation time is reported");
      assert.ok((e.metrics?.completion_length ?? 0) >= 1, "and the completion length");
    }
  } finally {
    await run.backbone.dispose();
  }
  assert.equal(liveSessionCount() - base, 0);
});

test("a reward returning NaN before the first step is refused naming the function and the row", async () => {
  const root = experimentsRoot();
  const notANumber: RewardFunction = () => Number.NaN;
  const exp = experiment([phonemeAlphabet, notANumber], 8).set({ "logging.output_dir": root });
  await assert.rejects(exp.fit({ display: false }), (e: Error) => {
    assert.ok(RewardError.isInstance(e), String(e));
    assert.match(e.message, /reward function 'notANumber' \(rewards\[1\]\) returned NaN on dataset row \d+/);
    return true;
  });
  assert.deepEqual(existsSync(root) ? readdirSync(root) : [], [], "no experiment folder is left");
});

test("a reward that throws mid-run fails the step with its message and keeps the last checkpoint", async () => {
  let calls = 0;
  const rewards: RewardFunction[] = [
    phonemeAlphabet,
    // An anonymous function is named by its index.
    (completion) => {
      calls += 1;
      if (calls > 8 * 2 * 2 + 8) throw new Error("the scoring service is down");
      return completion.length > 3 ? 0.1 : 0;
    },
  ];
  const run = await experiment(rewards, 16)
    .train({ evaluationEpochs: 0.25, evaluateBeforeTraining: false })
    .fit({ display: false });
  try {
    assert.equal(run.status, "failed");
    assert.match(
      run.error?.message ?? "",
      /rewards\[1\].*threw "the scoring service is down" on dataset row \d+/,
    );
    assert.equal(run.step, 2, "two steps were done (the third failed)");
    const last = path.join(run.dir, "checkpoints", "last", "trainer-state.json");
    assert.equal(JSON.parse(readFileSync(last, "utf8")).step, 2, "the checkpoint of step 2 is kept");
  } finally {
    await run.backbone.dispose();
  }
});

test("GRPO without reward functions is refused before anything is made", async () => {
  const root = experimentsRoot();
  await assert.rejects(
    experiment([], 8).set({ "logging.output_dir": root }).fit({ display: false }),
    (e: Error) => ConfigError.isInstance(e) && /GRPO needs reward functions/.test(e.message),
  );
  assert.deepEqual(existsSync(root) ? readdirSync(root) : [], []);
});

test("YAML and the CLI name reward functions by module file (grpo.reward_modules); β > 0 adds the KL term", async () => {
  const dir = experimentsRoot();
  const good = path.join(dir, "rewards.cjs");
  writeFileSync(good, "module.exports = [function short(c) { return c.length < 10 ? 1 : 0; }];\n");
  const bad = path.join(dir, "bad.mjs");
  writeFileSync(bad, "export default 42;\n");
  const exp = (file: string) =>
    experiment([], 4)
      .set({
        "grpo.reward_modules": [file],
        "grpo.num_generations": 2,
        "grpo.beta": 0.1,
        "logging.output_dir": dir,
      })
      .train({ evaluateBeforeTraining: false, saveCheckpoint: "disable" });
  const steps: StepEvent[] = [];
  const run = await exp(good).fit({ display: false, callbacks: [{ onStep: (e) => void steps.push(e) }] });
  await run.backbone.dispose();
  assert.equal(run.status, "completed", run.error?.message);
  assert.equal(run.config.grpo.rewardModules[0], good);
  assert.ok(steps.every((e) => typeof e.metrics?.reward === "number" && Number.isFinite(e.loss)));
  // The KL term's reference is the base under the adapters: refused with full fine-tuning, before anything loads.
  const full = exp(good).lora(false);
  await assert.rejects(full.fit({ display: false }), /grpo\.beta: the KL term's reference is the base model/);
  await assert.rejects(
    exp(bad).fit({ display: false }),
    /grpo\.reward_modules\.0: reward module '.*bad\.mjs' must default-export a function/,
  );
});
