/**
 * Hyperparameter search end to end on a tiny Llama: every trial is a normal experiment folder under the search
 * folder, `search.json` records settings, curves, states and reasons, pruning stops trials at evaluations, the
 * budget stops the search, and bad options fail before any folder is created.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { type Pruner, runSearch, Space } from "../../sdk/automl";
import { ConfigError } from "../../sdk/errors";
import { Experiment, LoRAConfig } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot, tinyLlama } from "./fixtures";

async function base(root: string): Promise<Experiment> {
  return Experiment.create({ name: "base", root })
    .backbone(await tinyLlama())
    .dataset(arithmeticDataset(24))
    .lora(new LoRAConfig({ r: 4, alpha: 8, targetModules: ["q_proj", "v_proj"] }))
    .train({ epochs: 2, batchSize: 6, learningRate: 1e-3, evaluationEpochs: 0.5 })
    .environment({ seed: 2, threads: 1 });
}

test("a grid search runs each combination as an experiment folder and records it in search.json", async () => {
  const root = experimentsRoot();
  const result = await runSearch(await base(root), {
    space: { "training.learning_rate": [1e-4, 3e-3], "lora.r": [2, 8] },
    strategy: "grid",
    name: "grid",
  });
  assert.equal(result.stoppedBy, "exhausted");
  assert.equal(result.trials.length, 4);
  const record = JSON.parse(readFileSync(path.join(result.dir, "search.json"), "utf8"));
  assert.equal(record.strategy, "grid");
  assert.equal(record.trials.length, 4);
  const combos = new Set(record.trials.map((t: { params: unknown }) => JSON.stringify(t.params)));
  assert.equal(combos.size, 4);
  for (const t of record.trials) {
    assert.equal(t.state, "complete", t.reason);
    assert.ok(existsSync(path.join(t.folder, "config.yaml")), "each trial is an experiment folder");
    assert.equal(path.dirname(t.folder), result.dir);
    const yaml = readFileSync(path.join(t.folder, "config.yaml"), "utf8");
    assert.match(yaml, new RegExp(`learning_rate: ${t.params["training.learning_rate"]}`));
    assert.match(yaml, new RegExp(`\\br: ${t.params["lora.r"]}\\b`));
    const evals = readFileSync(path.join(t.folder, "metrics.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"type":"eval"'))
      .map((l) => JSON.parse(l));
    assert.ok(evals.length >= 2);
    assert.deepEqual(
      t.curve,
      evals.map((e) => [e.step, e.loss]),
      "the curve is the trial's validation losses",
    );
    assert.equal(t.value, Math.min(...t.curve.map((c: number[]) => c[1])));
    assert.ok(t.tokens > 0);
  }
  // The larger learning rate trains the tiny model faster: the best trial is one of them.
  assert.equal(result.best?.params["training.learning_rate"], 3e-3);
  assert.equal(readdirSync(result.dir).filter((f) => f.startsWith("trial-")).length, 4);
});

test("pruning stops a trial at an evaluation and records why; the trials budget stops the search", async () => {
  const root = experimentsRoot();
  // A pruner that stops every trial after the first at its second evaluation (a scripted decision).
  const scripted: Pruner = {
    name: "scripted",
    decide: (trial, step) =>
      trial.number > 0 && trial.intermediate.size >= 2
        ? { prune: true, reason: `scripted at step ${step}` }
        : { prune: false },
  };
  const ends: string[] = [];
  const result = await runSearch(await base(root), {
    space: { "training.learning_rate": Space.logUniform(1e-4, 3e-3) },
    strategy: "random",
    pruner: scripted,
    budget: { trials: 3 },
    seed: 4,
    callbacks: { onTrialEnd: (t) => void ends.push(t.state) },
  });
  assert.equal(result.stoppedBy, "trials");
  assert.deepEqual(ends, ["complete", "pruned", "pruned"]);
  for (const t of result.trials.slice(1)) {
    assert.match(t.reason ?? "", /^scripted at step \d+$/);
    assert.equal(t.curve.length, 2);
    assert.ok(existsSync(path.join(t.folder as string, "checkpoints")), "a pruned trial keeps its folder");
  }
  assert.equal(result.best?.number, 0);
});

test("bad search options fail before any trial or folder", async () => {
  const root = experimentsRoot();
  const exp = await base(root);
  const cases: [Parameters<typeof runSearch>[1], RegExp][] = [
    [{ space: { "training.learnig_rate": [1e-4] } }, /did you mean 'training\.learning_rate'/],
    [{ space: { "lora.r": Space.int(8, 4) } }, /inverted/],
    [
      { space: { "lora.r": [4] }, budget: { trials: 0 } },
      /budget\.trials: expected a positive integer, got 0/,
    ],
    [{ space: { "lora.r": [4] }, metric: "rouge" }, /direction of metric 'rouge' is not known/],
    [{ space: { "lora.r": Space.int(2, 8) }, strategy: "grid" }, /grid search needs a list of values/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(
      () => runSearch(exp, options),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      String(message),
    );
  }
  assert.deepEqual(readdirSync(root), []);
});
