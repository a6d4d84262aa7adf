/**
 * `problem_type: dpo` end to end on the tiny Llama: a small synthetic preference set (the chosen answer is the
 * sum, the rejected one the sum followed by " wrong"), trained with DPOLoss and with SimPOLoss (no reference):
 * the validation reward accuracy and margin improve, the best checkpoint is picked by reward accuracy. Bad input:
 * a missing rejected column, an unknown loss, a pair whose answers are equal (named by row, before any
 * experiment folder exists), full fine-tuning. And the settings through YAML-style `set`.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { Dataset, DatasetError } from "../../sdk/data";
import { ConfigError } from "../../sdk/errors";
import { Metrics } from "../../sdk/eval";
import { Backbone } from "../../sdk/models";
import { applyOverrides, Experiment, parseExperimentConfig, type Run } from "../../sdk/train";
import { dpo } from "../../sdk/train/problems";
import { arithmeticRecords, experimentsRoot, tinyLlama } from "./fixtures";

function preferenceRecords(n = 32) {
  return arithmeticRecords(n).map((r) => ({ ...r, rejected: `${r.answer} wrong` }));
}

function preferenceData(records = preferenceRecords()) {
  return Dataset.fromRecords(records)
    .columns({ prompt: "question", answer: "answer" })
    .validation({ size: 0.25, seed: 3 });
}

async function dpoExperiment(
  root: string,
  train: Record<string, unknown> = {},
  records = preferenceRecords(),
) {
  return Experiment.create({ root, name: "dpo" })
    .backbone(await tinyLlama())
    .problem("dpo")
    .dataset(preferenceData(records), { rejectedAnswerColumn: "rejected" })
    .lora({ r: 4, alpha: 8, targetModules: "all-linear" })
    .train({
      epochs: 2,
      batchSize: 4,
      learningRate: 1e-2,
      evaluateBeforeTraining: true,
      evaluationEpochs: 1,
      saveCheckpoint: "best",
      ...train,
    });
}

const evals = (run: Run) => run.history.flatMap((r) => (r.type === "eval" ? [r.metrics] : []));

for (const lossFunction of ["DPOLoss", "SimPOLoss"]) {
  test(`${lossFunction}: validation reward accuracy and margin improve on a synthetic preference set`, async () => {
    const exp = await dpoExperiment(experimentsRoot(), { lossFunction, beta: 0.5 });
    const run = await exp.fit({ display: false });
    try {
      assert.equal(run.status, "completed", run.error?.message);
      const e = evals(run);
      assert.equal(e.length, 3, "before training and after each epoch");
      const [first, last] = [e[0], e[e.length - 1]];
      for (const m of ["reward_accuracy", "reward_margin", "chosen_logps", "rejected_logps"])
        assert.ok(Number.isFinite(last[m]), `${m} reported: ${JSON.stringify(last)}`);
      assert.ok(
        last.reward_margin > first.reward_margin + 0.1,
        `margin ${first.reward_margin} → ${last.reward_margin}`,
      );
      assert.ok(
        last.reward_accuracy > first.reward_accuracy,
        `accuracy ${first.reward_accuracy} → ${last.reward_accuracy}`,
      );
      assert.ok(last.reward_accuracy >= 0.75, `accuracy ${last.reward_accuracy}`);
      assert.equal(run.result.best?.metric, "reward_accuracy");
      // Reward metrics come from training's validation; evaluating the trained model afterwards says so.
      await assert.rejects(run.evaluate(), /reward_accuracy is computed by problem_type dpo's validation/);
      const ev = await run.evaluate({ metrics: [Metrics.perplexity()] });
      assert.ok(Number.isFinite(ev.metrics.perplexity));
      if (lossFunction === "DPOLoss") {
        // Before training the policy is the reference: every reward is 0, so no pair is won and the margin is 0.
        assert.equal(first.reward_accuracy, 0);
        assert.ok(Math.abs(first.reward_margin) < 1e-6);
      }
    } finally {
      await run.backbone.dispose();
    }
  });
}

test("a pair whose chosen and rejected answers are equal is refused by row, before any folder is made", async () => {
  const root = experimentsRoot();
  const records = preferenceRecords();
  records[6].rejected = records[6].answer;
  const exp = await dpoExperiment(root, {}, records);
  await assert.rejects(
    exp.fit({ display: false }),
    (e: unknown) =>
      e instanceof DatasetError &&
      e.row === 7 &&
      /chosen and the rejected answer are the same/.test(e.message),
  );
  assert.deepEqual(readdirSync(root), [], "no experiment folder");
});

test("dpo settings problems are refused before anything is loaded", async () => {
  const root = experimentsRoot();
  const base = Experiment.create({ root })
    .backbone(await tinyLlama())
    .problem("dpo")
    .dataset(preferenceData());
  const refused = async (exp: Experiment, pattern: RegExp) => {
    await assert.rejects(
      exp.fit({ display: false }),
      (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
    );
  };
  await refused(base, /rejected_answer_column/);
  const withRejected = base.set({ "dataset.rejected_answer_column": "rejected" });
  await refused(
    withRejected.set({ "training.loss_function": "CrossEntropyLoss" }),
    /'CrossEntropyLoss' is not a loss of problem_type dpo; expected one of DPOLoss/,
  );
  // A name that is no loss at all is refused by the settings' own check, which lists every loss.
  await refused(withRejected.set({ "training.loss_function": "Focal" }), /loss_?[fF]unction.*got "Focal"/s);
  await refused(
    withRejected.set({ "training.loss_function": "DPOIPOLoss", "training.label_smoothing": 0.1 }),
    /label_smoothing applies to DPOLoss, CPOLoss, SimPOLoss/,
  );
  await refused(withRejected.lora(false), /adapters off/);
  await refused(withRejected.train({ packing: true }), /set packing to false/);
  assert.deepEqual(readdirSync(root), []);
  const config = withRejected.set({ problem_type: "dpo", "training.loss_function": "KTOPairLoss" }).config;
  assert.equal(config.problemType, "dpo");
  assert.equal(config.training.lossFunction, "KTOPairLoss");
  assert.equal(config.training.beta, 0.2, "H2O LLM Studio's default β");
  assert.equal(config.training.simpoGamma, 1);
});

test("problem_type dpo and its settings in a snake_case config (YAML) and through --set overrides", () => {
  const config = parseExperimentConfig({
    problem_type: "dpo",
    architecture: { backbone: "assets/tiny-llama" },
    dataset: { answer_column: "chosen_response", rejected_answer_column: "rejected_response" },
    training: { loss_function: "SimPOLoss", beta: 0.1, simpo_gamma: 0.5 },
  });
  assert.equal(config.dataset.rejectedAnswerColumn, "rejected_response");
  assert.equal(config.training.simpoGamma, 0.5);
  const changed = applyOverrides(config, ["training.loss_function=ORPOLoss", "training.cpo_alpha=0"]);
  assert.equal(changed.training.lossFunction, "ORPOLoss");
  assert.equal(changed.training.cpoAlpha, 0);
  assert.throws(
    () =>
      parseExperimentConfig({
        problem_type: "dpo",
        architecture: { backbone: "assets/tiny-llama" },
        training: { beta: 0 },
      }),
    /training\.beta/,
  );
});

test("rejected_prompt_column gives each rejected answer its own prompt; batches put chosen rows first", async () => {
  const backbone = await Backbone.load(await tinyLlama());
  try {
    const tokenizer = backbone.modelDir.tokenizer!;
    const records = preferenceRecords(8).map((r) => ({ ...r, other: `${r.question} Answer briefly.` }));
    const config = parseExperimentConfig({
      problem_type: "dpo",
      architecture: { backbone: "assets/tiny-llama" },
      dataset: { rejected_answer_column: "rejected", rejected_prompt_column: "other" },
    });
    const dataset = Dataset.fromRecords(records).columns({ prompt: "question", answer: "answer" });
    const { train } = await dpo.prepare({ config, dataset, tokenizer, onWarning: () => {} });
    const [batch] = train.batches({ batchSize: 2, shuffle: false });
    assert.equal(batch!.numTargetTokens, 2, "a batch's weight is its number of pairs");
    const feeds = await batch!.feeds(-1);
    assert.deepEqual([...(feeds.chosen_rows!.data as BigInt64Array)], [0n, 1n]);
    assert.deepEqual([...(feeds.rejected_rows!.data as BigInt64Array)], [2n, 3n]);
    const [, T] = feeds.input_ids!.dims as number[];
    const row = (b: number) => {
      const ids = feeds.input_ids!.data as BigInt64Array;
      const mask = feeds.attention_mask!.data as BigInt64Array;
      const kept = [...ids.subarray(b * T, (b + 1) * T)].filter((_, t) => mask[b * T + t] === 1n);
      return tokenizer.decode(kept.map(Number));
    };
    assert.match(row(0), /What is 0 plus 1\?/);
    assert.doesNotMatch(row(0), /Answer briefly/);
    assert.match(
      row(2),
      /What is 0 plus 1\? Answer briefly\.[\s\S]*1 wrong/,
      "the rejected row: its own prompt",
    );
  } finally {
    await backbone.dispose();
  }
});
