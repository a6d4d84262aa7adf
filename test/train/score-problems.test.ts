/**
 * causal_classification and causal_regression end to end on the tiny Llama: the validation metric improves over
 * the run, the predictions table has per-class probabilities, `classify`/`predict` answer new texts, a resumed
 * run equals an uninterrupted one (head included), and bad labels are refused naming the row before any folder.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Dataset, DatasetError } from "../../sdk/data";
import { ConfigError } from "../../sdk/errors";
import {
  Experiment,
  exportExperiment,
  loadModelOrExperiment,
  loadTrainedModel,
  type Run,
  scoreRows,
  tokenizeScorePrompts,
} from "../../sdk/train";
import { DEFAULT_PYTHON, runReferenceScript, torchAvailable } from "../reference";
import { csvOf, tunebook } from "../support/cli-workspace";
import { experimentsRoot, fullAndCancelled, sentimentRecords, tinyLlama } from "./fixtures";

const EPOCHS = 4;
const LR = 1e-2;
const evalMetric = (run: Run, name: string) =>
  run.history.flatMap((r) => (r.type === "eval" ? [r.metrics[name]] : []));

async function sentiment(
  root: string,
  problem: "causal_classification" | "causal_regression",
  records = sentimentRecords(128),
) {
  const target = problem === "causal_classification" ? "label" : "stars";
  return Experiment.create({ name: problem.replace("causal_", ""), root })
    .backbone(await tinyLlama())
    .problem(problem, {
      "dataset.answer_column": target,
      "dataset.text_answer_separator": "",
      "tokenizer.add_eos_token_to_prompt": false,
    })
    .dataset(Dataset.fromRecords(records).validation({ size: 0.25, seed: 3 }), { promptColumn: ["text"] })
    .lora({ r: 8, alpha: 16, targetModules: "all-linear", dropout: 0 })
    .train({
      epochs: EPOCHS,
      batchSize: 4,
      learningRate: LR,
      evaluateBeforeTraining: true,
      warmupEpochs: 0.2,
    })
    .environment({ seed: 7, threads: 1 });
}

test("causal_classification learns binary sentiment: AUC rises, probabilities in the predictions table and classify()", async () => {
  const root = experimentsRoot();
  const run = await (await sentiment(root, "causal_classification")).fit({ display: false });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    const auc = evalMetric(run, "auc");
    const accuracy = evalMetric(run, "accuracy");
    assert.equal(auc.length, EPOCHS + 1);
    assert.ok(auc.at(-1)! > auc[0] + 0.3 && auc.at(-1)! >= 0.9, `AUC ${auc.join(", ")}`);
    assert.ok(accuracy.at(-1)! >= 0.8, `accuracy ${accuracy.join(", ")}`);
    assert.equal(run.best?.metric, "auc");
    const table = fs.readFileSync(path.join(run.dir, "predictions", "validation.csv"), "utf8").split("\n");
    assert.match(table[0], /probability_1/);
    assert.match(table[0], /predicted_label/);
    const { columns, values } = await run.classify(["The film was wonderful.", "The film was awful."]);
    assert.deepEqual(columns, ["probability_1"]);
    assert.ok(values[0][0] > 0.5 && values[1][0] < 0.5, JSON.stringify(values));
    // The experiment folder's model scores the same; text uses (serving, generation, export) are refused.
    const loaded = await loadTrainedModel(run.dir);
    const again = await scoreRows({ ...loaded, rows: ["The film was wonderful.", "The film was awful."] });
    await loaded.backbone.dispose();
    for (const [i, v] of again.values.flat().entries()) assert.ok(Math.abs(v - values.flat()[i]) < 1e-5);
    await checkSequenceClassificationExport(run, root, values);
    checkCli(run, root, values);
    await assert.rejects(
      loadModelOrExperiment(run.dir),
      /needs a model that writes text.*causal_classification.*tunebook predict/s,
    );
    await assert.rejects(
      exportExperiment({ experiment: run.dir, output: path.join(root, "out"), format: "onnx" }),
      /export --format onnx needs a model that writes text/,
    );
  } finally {
    await run.backbone.dispose();
  }
});

/**
 * `tunebook predict` writes the same probabilities as `classify()` for a file's rows, and `tunebook eval --data`
 * prints the classification metrics of a labelled file, both through the built CLI.
 */
function checkCli(run: Run, root: string, values: number[][]): void {
  const texts = ["The film was wonderful.", "The film was awful."];
  const file = path.join(root, "new.csv");
  fs.writeFileSync(file, csvOf(texts.map((text) => ({ text }))));
  const out = path.join(root, "predicted.csv");
  const predicted = tunebook(["predict", run.dir, file, "--output", out]);
  assert.equal(predicted.code, 0, predicted.err);
  assert.match(predicted.out, /predictions: .*predicted\.csv/);
  const [header, ...lines] = fs.readFileSync(out, "utf8").trim().split("\n");
  const column = header.split(",").indexOf("probability_1");
  assert.ok(column >= 0, header);
  const probabilities = lines.map((l) => Number(l.split(",")[column]));
  assert.equal(probabilities.length, texts.length, "one output row per input row");
  for (const [i, p] of probabilities.entries())
    assert.ok(Math.abs(p - values[i][0]) < 1e-5, `${p} vs ${values[i][0]}`);
  const labelled = path.join(root, "labelled.csv");
  const rows = sentimentRecords(16).map((r) => ({ text: r.text, label: String(r.label) }));
  fs.writeFileSync(labelled, csvOf(rows));
  const evaluated = tunebook(["eval", run.dir, "--data", labelled, "--output", path.join(root, "eval.csv")]);
  assert.equal(evaluated.code, 0, evaluated.err);
  const auc = Number(/^auc\t(\S+)$/m.exec(evaluated.out)?.[1]);
  assert.ok(auc >= 0.9, evaluated.out);
  const missing = tunebook(["predict", run.dir, path.join(root, "absent.csv")]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /absent\.csv/);
}

test("causal_regression learns a numeric target: MSE falls, predict() returns values", async () => {
  const root = experimentsRoot();
  const run = await (await sentiment(root, "causal_regression")).fit({ display: false });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    const mse = evalMetric(run, "mse");
    assert.ok(mse.at(-1)! < mse[0] * 0.8, `MSE ${mse.join(", ")}`);
    assert.ok(evalMetric(run, "mae").at(-1)! < evalMetric(run, "mae")[0], "MAE");
    const { columns, values } = await run.predict(["The film was wonderful.", "The film was awful."]);
    assert.deepEqual(columns, ["predicted_stars"]);
    assert.ok(values[0][0] > values[1][0], JSON.stringify(values));
  } finally {
    await run.backbone.dispose();
  }
});

test("a resumed classification run equals an uninterrupted one, score head included", async () => {
  const root = experimentsRoot();
  const exp = (await sentiment(root, "causal_classification")).train({
    epochs: 2,
    evaluateBeforeTraining: false,
  });
  const { full, cut } = await fullAndCancelled(exp, 5);
  const resumed = await Experiment.resume(cut.dir, {
    dataset: Dataset.fromRecords(sentimentRecords(128)).validation({ size: 0.25, seed: 3 }),
    display: false,
  });
  try {
    assert.equal(resumed.status, "completed", resumed.error?.message);
    assert.ok(full.head && resumed.head);
    assert.deepEqual(Array.from(resumed.head), Array.from(full.head));
    assert.deepEqual(evalMetric(resumed, "auc"), evalMetric(full, "auc"));
  } finally {
    for (const r of [full, cut, resumed]) await r.backbone.dispose();
  }
});

test("labels that do not fit num_classes, and a non-numeric target, are refused naming the row, before any folder", async () => {
  const root = experimentsRoot();
  const records = sentimentRecords(16).map((r, i) =>
    i === 6 ? { ...r, label: 2, stars: "many" as unknown as number } : r,
  );
  const cls = await sentiment(root, "causal_classification", records);
  await assert.rejects(cls.fit({ display: false }), (e: Error) => {
    assert.ok(e instanceof DatasetError, e.message);
    assert.equal(e.row, 7);
    assert.match(e.message, /column 'label'.*row 7.*expected a label 0 or 1.*found 2.*num_classes: 3/s);
    return true;
  });
  const reg = await sentiment(root, "causal_regression", records);
  await assert.rejects(
    reg.fit({ display: false }),
    /column 'stars', row 7: expected a finite number \(regression target\), found "many"/,
  );
  const multi = cls.set({ "dataset.num_classes": 2, "training.loss_function": "BinaryCrossEntropyLoss" });
  await assert.rejects(
    multi.fit({ display: false }),
    (e: Error) =>
      e instanceof ConfigError &&
      /BinaryCrossEntropyLoss on one label column needs num_classes 1/.test(e.message),
  );
  const ce = cls.set({ "training.loss_function": "CrossEntropyLoss" });
  await assert.rejects(ce.fit({ display: false }), /CrossEntropyLoss needs num_classes > 1/);
  const lm = cls.set({ problem_type: "causal_lm", "training.loss_function": "MSELoss" });
  await assert.rejects(
    lm.fit({ display: false }),
    /causal_lm trains with TokenAveragedCrossEntropy, got MSELoss/,
  );
  assert.deepEqual(fs.readdirSync(root), []);
});

/**
 * The merged export in Hugging Face's sequence-classification layout and the PEFT adapter with the head in
 * modules_to_save, read by an independent PyTorch forward written from that layout: the same probabilities.
 */
async function checkSequenceClassificationExport(run: Run, root: string, expected: number[][]) {
  if (!(await torchAvailable())) return;
  const merged = await exportExperiment({
    experiment: run.dir,
    output: path.join(root, "seq-cls"),
    format: "merged",
  });
  const adapter = await exportExperiment({
    experiment: run.dir,
    output: path.join(root, "adapter"),
    format: "peft",
  });
  const hf = JSON.parse(fs.readFileSync(path.join(merged, "config.json"), "utf8"));
  assert.deepEqual(hf.architectures, ["LlamaForSequenceClassification"]);
  assert.deepEqual(hf.id2label, { "0": "1" });
  const tokenizer = run.backbone.modelDir.tokenizer!;
  const texts = ["The film was wonderful.", "The film was awful."];
  const prompts = tokenizeScorePrompts(
    Dataset.fromRecords(texts.map((text) => ({ text }))),
    run.config,
    tokenizer,
  );
  const T = Math.max(...prompts.examples.map((e) => e.ids.length));
  const ids = prompts.examples.map((e) => [...e.ids, ...Array(T - e.ids.length).fill(hf.pad_token_id)]);
  const job = path.join(root, "seq-cls-job.json");
  fs.writeFileSync(job, JSON.stringify({ model: merged, base: await tinyLlama(), adapter, ids }));
  const ref = JSON.parse(await runReferenceScript(DEFAULT_PYTHON, "seq_cls_reference.py", [job]));
  assert.deepEqual(ref.problems, []);
  const diff = Math.max(
    ...ref.probabilities.flat().map((p: number, i: number) => Math.abs(p - expected.flat()[i])),
  );
  assert.ok(
    diff <= 1e-5,
    `probabilities differ by ${diff}: ${JSON.stringify(ref.probabilities)} vs ${JSON.stringify(expected)}`,
  );
}
