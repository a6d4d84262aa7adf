// Every tutorial in notebooks/ executed headless with Debian's `jupyter nbconvert --execute` on the tunebook
// kernel, then its outputs checked: the expected tables and plotly charts are present, the training view was
// updated to its final state, and the numbers shown agree with independent references (scikit-learn, the SQuAD
// normalisation, numpy) computed here from the inputs written in the notebook itself.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { PYTHON } from "./jupyter-harness";
import {
  cellSource,
  cellWith,
  decodeHtml,
  type Notebook,
  NotebookRunner,
  outputHtml,
  outputText,
  parseTable,
} from "./notebook-runner";

let runner: NotebookRunner;
before(async () => {
  runner = await NotebookRunner.create();
});
after(() => runner?.dispose());

/** Every code cell ran, and none wrote to stderr (tslab prints type errors and exceptions there). */
function assertClean(nb: Notebook): void {
  for (const c of nb.cells.filter((x) => x.cell_type === "code")) {
    const errs = (c.outputs ?? []).filter((o) => o.output_type === "error" || o.name === "stderr");
    assert.deepEqual(errs, [], `cell failed:\n${cellSource(c)}\n${JSON.stringify(errs).slice(0, 2000)}`);
  }
}

/** The array literal assigned to `const <name> = [...]` in the notebook's source (kept in sync with the test). */
function arrayIn(nb: Notebook, name: string): unknown[] {
  const src = nb.cells.map(cellSource).join("\n");
  const m = new RegExp(`const ${name} = (\\[[\\s\\S]*?\\]);`).exec(src);
  assert.ok(m, `const ${name} = [...] in the notebook`);
  return JSON.parse(m[1]!) as unknown[];
}

function python(code: string, input: unknown): Record<string, number> {
  const r = spawnSync(PYTHON, ["-c", code], {
    input: JSON.stringify(input),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

/** A table output with the given caption, parsed. */
function tableIn(nb: Notebook, marker: string, caption: string) {
  const html = cellWith(nb, marker)
    .outputs.map(outputHtml)
    .find((h) => h.includes(`>${caption}</caption>`));
  assert.ok(html, `table "${caption}" shown`);
  return parseTable(html);
}

function assertClose(shown: string, expected: number, what: string): void {
  const v = Number(shown);
  assert.ok(Number.isFinite(v), `${what}: shown value ${JSON.stringify(shown)} is a number`);
  assert.ok(
    Math.abs(v - expected) <= 1e-3 * Math.max(1, Math.abs(expected)),
    `${what}: shown ${v}, expected ${expected}`,
  );
}

/** The number of plotly figures drawn by the notebook (chart divs with a Plotly.newPlot script), and loaders. */
function plotly(nb: Notebook): { charts: string[]; loaders: number } {
  const html = nb.cells.flatMap((c) => c.outputs ?? []).map(outputHtml);
  return {
    charts: html.filter((h) => h.includes('class="tunebook-chart"') && h.includes("Plotly.newPlot")),
    loaders: html.filter((h) => h.includes("tunebook-plotly-loader") && h.length > 1_000_000).length,
  };
}

test("datasets.ipynb: reads CSV and JSONL, maps columns, shows tables, a chart and a summary", () => {
  const { notebook: nb, seconds } = runner.execute("datasets");
  assertClean(nb);
  assert.ok(seconds < 60, `ran in ${seconds} s`);
  // The cell ending in `csv.head(5)` shows the escaped HTML table (auto-display), not inspect text.
  const head = cellWith(nb, "csv.head(5)").outputs;
  assert.match(outputText(head[0]!), /^40 rows, columns: question, answer, region/);
  const table = head.map(outputHtml).find((h) => h.includes('class="tunebook-dataset"'));
  assert.ok(table, "the dataset preview is an HTML table");
  assert.match(table, /5 of 40 rows × 3 columns/);
  assert.deepEqual(parseTable(table).rows[0], ["1", "What is the capital of France?", "Paris", "Europe"]);
  const mapped = tableIn(nb, "qa.examples()", "first mapped examples");
  assert.deepEqual(mapped.rows[0], ["1", "user: What is the capital of France? | assistant: Paris"]);
  // `show(3)` displays the sampled rows mid-cell, before the cell's own text.
  const sampleCell = cellWith(nb, "sampled.show(3)").outputs;
  const shown = outputHtml(sampleCell[0]!);
  assert.match(shown, /3 of 10 rows × 2 columns/);
  assert.equal(parseTable(shown).rows.length, 3);
  assert.match(outputText(sampleCell[1]!), /the sample keeps 10 of 40 examples/);
  const summary = tableIn(nb, "data.summary()", "summary");
  assert.deepEqual(summary.rows, [
    ["question", "0"],
    ["answer", "0"],
    ["region", "0"],
  ]);
  assert.match(outputText(cellWith(nb, "data.summary()").outputs.at(-1)!), /rows=40 examples=40/);
  const conv = tableIn(nb, "data/chat.jsonl", "one conversation");
  assert.deepEqual(
    conv.rows.map((r) => r[0]),
    ["system", "user", "assistant"],
  );
  assert.match(outputText(cellWith(nb, "broken.columns").outputs[0]!), /TunebookDatasetError: .*row 2/);
  const { charts, loaders } = plotly(nb);
  assert.equal(loaders, 1, "plotly.js inlined once");
  assert.equal(charts.length, 1);
  assert.match(
    charts[0]!,
    /"type":"bar","name":"rows","x":\["Europe","Asia","Africa","Americas","Oceania"\],"y":\[20,8,4,6,2\]/,
  );
});

const SKLEARN = `
import json, sys, math, re, string
from sklearn.metrics import accuracy_score, roc_auc_score, log_loss
d = json.load(sys.stdin)
def norm(s):  # SQuAD v1.1 normalize_answer
    s = s.lower()
    s = ''.join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r'\\b(a|an|the)\\b', ' ', s)
    return ' '.join(s.split())
lp = [x for row in d['logProbs'] for x in row]
out = {
  'accuracy': accuracy_score(d['yTrue'], [1 if s >= 0.5 else 0 for s in d['yScore']]),
  'auc': roc_auc_score(d['yTrue'], d['yScore']),
  'log_loss': log_loss(d['yTrue'], d['yScore']),
  'ppl': math.exp(-sum(lp) / len(lp)),
  'ppl_rows': sum(math.exp(-sum(r) / len(r)) for r in d['logProbs']) / len(d['logProbs']),
  'exact': sum(norm(p) == norm(r) for p, r in zip(d['generated'], d['expected'])) / len(d['expected']),
  'contains': sum((' ' + norm(r) + ' ') in (' ' + norm(p) + ' ') for p, r in zip(d['generated'], d['cities'])) / len(d['cities']),
}
print(json.dumps(out))`;

test("evaluation.ipynb: metric tables agree with scikit-learn, SQuAD normalisation and exp(mean NLL); charts drawn", () => {
  const { notebook: nb, seconds } = runner.execute("evaluation");
  assertClean(nb);
  assert.ok(seconds < 60, `ran in ${seconds} s`);
  const inputs = Object.fromEntries(
    ["yTrue", "yScore", "logProbs", "generated", "expected", "cities"].map((k) => [k, arrayIn(nb, k)]),
  );
  const ref = python(SKLEARN, inputs);
  const cls = Object.fromEntries(
    tableIn(nb, "Metrics.accuracy()", "classification").rows.map((r) => [r[0], r[1]!]),
  );
  assertClose(cls.accuracy!, ref.accuracy!, "accuracy");
  assertClose(cls.auc!, ref.auc!, "ROC AUC");
  assertClose(cls.log_loss ?? cls.logloss ?? cls["log-loss"]!, ref.log_loss!, "log-loss");
  const gen = Object.fromEntries(
    tableIn(nb, "Metrics.bleu()", "generation metrics").rows.map((r) => [r[0], r[1]!]),
  );
  assertClose(gen["QA accuracy (contains)"]!, ref.contains!, "QA accuracy (contains)");
  assertClose(gen["QA accuracy (exact)"]!, ref.exact!, "QA accuracy (exact)");
  for (const k of ["BLEU (corpus)", "BLEU (sentence mean)"]) {
    const v = Number(gen[k]);
    assert.ok(v > 0 && v < 100, `${k} = ${gen[k]} is a BLEU score`);
  }
  const ppl = /perplexity (\S+) \(row mean (\S+)\)/.exec(
    outputText(cellWith(nb, "Metrics.perplexity()").outputs[0]!),
  );
  assert.ok(ppl);
  assertClose(ppl[1]!, ref.ppl!, "perplexity");
  assertClose(ppl[2]!, ref.ppl_rows!, "row-mean perplexity");
  const cmp = tableIn(nb, "const runs", "comparison");
  assert.deepEqual(cmp.header, ["run", "QA accuracy", "BLEU"]);
  assert.equal(cmp.rows[1]![1], gen["QA accuracy (contains)"]);
  const { charts, loaders } = plotly(nb);
  assert.equal(loaders, 1);
  assert.equal(charts.length, 2, "per-row BLEU and comparison bar charts");
});

/** The final progress bar of a training cell (nbclient applied every update_display_data to it). */
function progressOf(nb: Notebook, marker: string): string {
  const bars = cellWith(nb, marker)
    .outputs.map(outputHtml)
    .filter((h) => h.includes('class="tunebook-progress"'));
  assert.equal(bars.length, 1, "one progress entry, updated in place");
  return bars[0]!;
}

/** The plotly traces of a chart output, by name. */
function traces(html: string): Map<string, { x: number[]; y: number[] }> {
  const m = /var fig=(\{[\s\S]*?\});var t0=/.exec(html);
  assert.ok(m, "chart carries its figure");
  const fig = JSON.parse(m[1]!) as {
    data: { name: string; x: number[]; y: number[] }[];
  };
  return new Map(fig.data.map((d) => [d.name, d]));
}

test("quickstart.ipynb: fine-tunes with a live progress bar and charts, then streams a chat reply", () => {
  const { notebook: nb, seconds } = runner.execute("quickstart");
  assertClean(nb);
  assert.ok(seconds < 60, `ran in ${seconds} s`);
  // fit() without callbacks got the notebook's default view: a progress bar at its final state …
  const bar = progressOf(nb, "exp.fit()");
  const m = /data-step="(\d+)" data-total="(\d+)" data-status="completed"/.exec(bar);
  assert.ok(m, bar);
  assert.equal(m[1], m[2]);
  // … and the live chart with train and validation loss and the perplexity metric.
  const charts = plotly(nb).charts;
  assert.equal(charts.length, 1);
  const t = traces(charts[0]!);
  const train = t.get("train loss")!;
  assert.equal(train.x.length, Number(m[1]), "one train-loss point per step");
  const valid = t.get("validation loss")!;
  const ppl = t.get("perplexity")!;
  assert.ok(valid.y.length >= 2 && valid.y.every(Number.isFinite));
  for (const [i, l] of valid.y.entries())
    assert.ok(Math.abs(ppl.y[i]! - Math.exp(l)) <= 1e-9 * Math.exp(l), "perplexity = exp(loss)");

  // The printed result agrees with the experiment folder's own record (metrics.jsonl).
  const out = cellWith(nb, "run.status").outputs.map(outputText).join("");
  const r = /status completed, (\d+) steps, final loss (\S+)\nexperiment folder: (.*)/.exec(out);
  assert.ok(r, out);
  assert.equal(r[1], m[1]);
  const records = readFileSync(path.join(r[3]!, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; step: number; loss: number });
  const lastStep = records.filter((x) => x.type === "step").at(-1)!;
  assert.equal(lastStep.step, Number(r[1]));
  assertClose(r[2]!, lastStep.loss, "final loss");
  assertClose(String(train.y.at(-1)), lastStep.loss, "chart's last train loss");
  // The chat transcript holds the question and a streamed reply from the fine-tuned model: ARPAbet phonemes
  // (the untrained backbone continues with Moby Dick prose instead).
  const chat = cellWith(nb, "await streamChat")
    .outputs.map(outputHtml)
    .find((h) => h.includes("tunebook-chat"));
  assert.ok(chat);
  const reply =
    /data-role="user"[\s\S]*How is &#x27;approach&#x27; pronounced\?[\s\S]*data-role="assistant"[\s\S]*class="tunebook-chat-content"[^>]*>([^<]+)<\/div><\/div><\/div>$/.exec(
      chat,
    );
  assert.ok(reply, chat);
  assert.match(reply[1].trim(), /^[A-Z]{1,2}[012]?( [A-Z]{1,2}[012]?)+$/, "the reply is ARPAbet phonemes");
});

/** The step and eval records of an experiment folder's metrics.jsonl. */
function metricsOf(dir: string) {
  const records = readFileSync(path.join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map(
      (l) => JSON.parse(l) as { type: string; step: number; loss: number; metrics?: Record<string, number> },
    );
  return { steps: records.filter((r) => r.type === "step"), evals: records.filter((r) => r.type === "eval") };
}

test("comparison.ipynb: three runs compared in a table and a validation-loss chart read from their folders", () => {
  const { notebook: nb, seconds } = runner.execute("comparison");
  assertClean(nb);
  assert.ok(seconds < 60, `ran in ${seconds} s`);
  const printed = [
    ...cellWith(nb, "experiment(learningRate).fit")
      .outputs.map(outputText)
      .join("")
      .matchAll(/learning rate (\S+): completed after (\d+) steps, final loss (\S+)/g),
  ];
  assert.equal(printed.length, 3, "three runs completed");
  const table = tableIn(nb, "showComparison(", "learning rate");
  assert.deepEqual(table.header, [
    "run",
    "training.learning_rate",
    "status",
    "step",
    "train_loss",
    "eval_loss",
    "best_eval_loss",
    "metric.perplexity",
  ]);
  assert.equal(table.rows.length, 3);
  const col = (row: string[], name: string) => row[table.header.indexOf(name)]!;
  const ids: string[] = [];
  for (const [i, row] of table.rows.entries()) {
    // Each row against its own experiment folder: config.yaml and metrics.jsonl, read here.
    const id = col(row, "run");
    ids.push(id);
    const dir = path.join(runner.work, "experiments", id);
    const config = parseYaml(readFileSync(path.join(dir, "config.yaml"), "utf8")) as {
      training: { learning_rate: number };
    };
    assertClose(col(row, "training.learning_rate"), config.training.learning_rate, `${id} learning rate`);
    assert.equal(config.training.learning_rate, Number(printed[i]![1]));
    assert.ok(id.startsWith(`lr-${printed[i]![1]}-`), id);
    const { steps, evals } = metricsOf(dir);
    assert.equal(col(row, "status"), "completed");
    assert.equal(col(row, "step"), String(steps.at(-1)!.step));
    assertClose(col(row, "train_loss"), steps.at(-1)!.loss, `${id} train loss`);
    assertClose(printed[i]![3]!, steps.at(-1)!.loss, `${id} printed final loss`);
    assertClose(col(row, "eval_loss"), evals.at(-1)!.loss, `${id} validation loss`);
    assertClose(
      col(row, "best_eval_loss"),
      Math.min(...evals.map((e) => e.loss)),
      `${id} best validation loss`,
    );
    assertClose(col(row, "metric.perplexity"), Math.exp(evals.at(-1)!.loss), `${id} perplexity = exp(loss)`);
  }
  // The chart: one validation-loss trace per run, exactly the folder's eval records.
  const { charts, loaders } = plotly(nb);
  assert.equal(loaders, 1, "plotly.js inlined once");
  assert.equal(charts.length, 1);
  const t = traces(charts[0]!);
  assert.deepEqual([...t.keys()], ids);
  for (const id of ids) {
    const { evals } = metricsOf(path.join(runner.work, "experiments", id));
    assert.deepEqual(
      t.get(id)!.x,
      evals.map((e) => e.step),
      `${id} steps`,
    );
    assert.deepEqual(
      t.get(id)!.y,
      evals.map((e) => e.loss),
      `${id} validation losses`,
    );
  }
  const notes = cellWith(nb, "showComparison(").outputs.map(outputText).join("");
  assert.match(notes, /settings that differ: training\.learning_rate\n/);
  // The pick of the best run agrees with the folders.
  const best = ids
    .map((id) => ({
      id,
      loss: Math.min(...metricsOf(path.join(runner.work, "experiments", id)).evals.map((e) => e.loss)),
    }))
    .sort((a, b) => a.loss - b.loss)[0]!;
  assert.match(
    outputText(cellWith(nb, "const best").outputs[0]!),
    new RegExp(`lowest validation loss: ${best.id} `),
  );
});

const PERPLEXITY_FROM_CSV = `
import csv, json, math, sys
rows = list(csv.DictReader(open(json.load(sys.stdin)['file'], newline='')))
print(json.dumps({'ppl': math.exp(sum(float(r['nll']) for r in rows) / sum(float(r['tokens']) for r in rows)), 'rows': len(rows)}))`;

test("serving.ipynb: the openai client talks to serve(), datagen reports failures and keeps rows, fine-tune and evaluate", () => {
  const { notebook: nb, seconds } = runner.execute("serving");
  assertClean(nb);
  assert.ok(seconds < 60, `ran in ${seconds} s`);
  // A chat completion from the server, its usage consistent with max_tokens: 16.
  const chat = cellWith(nb, "client.chat.completions.create").outputs.map(outputText).join("");
  const m = /completion: (".*")\nfinish_reason (\w+); usage (\{.*\})\n/.exec(chat);
  assert.ok(m, chat);
  const completion = JSON.parse(m[1]!) as string;
  assert.ok(completion.trim().length > 0, "the server answered with text");
  const usage = JSON.parse(m[3]!) as {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
  };
  assert.equal(m[2], "length");
  assert.equal(usage.completion_tokens, 16);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  // The streamed reply (greedy, same request) is the same text, shown as a chat transcript.
  const transcript = cellWith(nb, "stream: true")
    .outputs.map(outputHtml)
    .find((h) => h.includes("tunebook-chat"));
  const streamed = /data-role="assistant"[\s\S]*?class="tunebook-chat-content"[^>]*>([\s\S]*?)<\/div>/.exec(
    transcript ?? "",
  );
  assert.ok(streamed, transcript);
  assert.equal(decodeHtml(streamed[1]!), completion);

  // generate: every call is either a kept row, a duplicate or a listed failure with the model's output.
  const gen =
    /generate: (\d+) rows kept, (\d+) failed, (\d+) duplicates, of (\d+) calls \((\d+) retries\)/.exec(
      cellWith(nb, "gen.generate(").outputs.map(outputText).join(""),
    );
  assert.ok(gen);
  const [kept, failed, dupes, calls] = gen.slice(1, 5).map(Number) as [number, number, number, number];
  assert.equal(calls, 3);
  assert.equal(kept + failed + dupes, calls);
  const failures = tableIn(nb, "gen.generate(", "failed calls");
  assert.deepEqual(failures.header, ["call", "attempts", "error", "last output"]);
  assert.equal(failures.rows.length, failed);
  for (const row of failures.rows) {
    assert.equal(row[1], "2", "tried twice (maxRetries: 1)");
    assert.equal(row[2], "TunebookDatagenOutputError");
    assert.ok(row[3]!.length > 0, "the unusable reply is shown");
  }
  assert.ok(Number(gen[5]) >= failed, "each failure was retried");

  // annotate, stopped early: annotated + failed + pending = requested; then the pending ones finished.
  const early =
    /stopped early \(aborted true\): (\d+) annotated, (\d+) failed, (\d+) pending, of 8 records/.exec(
      cellWith(nb, "stop.abort()").outputs.map(outputText).join(""),
    );
  assert.ok(early, "the first annotate run was stopped");
  const [done, failedEarly, pending] = early.slice(1, 4).map(Number) as [number, number, number];
  assert.equal(done + failedEarly + pending, 8);
  assert.ok(done + failedEarly >= 4 && pending > 0, "stopped after four records, the rest pending");
  const ann = /annotate: (\d+) annotated, (\d+) failed, of (\d+) records/.exec(
    cellWith(nb, "first.pending.map").outputs.map(outputText).join(""),
  );
  assert.ok(ann);
  assert.equal(Number(ann[3]), 8);
  assert.equal(Number(ann[1]) + Number(ann[2]), 8);
  const source = readFileSync("assets/demo-data/validation.jsonl", "utf8")
    .trim()
    .split("\n")
    .slice(0, 8)
    .map((l) => (JSON.parse(l) as { prompt: string }).prompt);
  const annotated = tableIn(nb, "first.pending.map", "annotated records");
  assert.deepEqual(annotated.header, ["prompt", "answer"]);
  assert.equal(annotated.rows.length, Number(ann[1]));
  const prompts = annotated.rows.map((r) => r[0]!);
  assert.equal(new Set(prompts).size, prompts.length, "no record annotated twice");
  for (const p of prompts) assert.ok(source.includes(p), `${p} is one of the validation prompts`);

  // Fine-tune on the annotated rows; the printed numbers match the experiment folder.
  const ft = /fine-tune: completed after (\d+) steps on (\d+) rows, final loss (\S+)/.exec(
    cellWith(nb, "Dataset.fromRecords(annotated)").outputs.map(outputText).join(""),
  );
  assert.ok(ft);
  assert.equal(ft[2], ann[1]);
  const ev = /held-out perplexity (\S+) over (\d+) rows\nexperiment folder: (.*)\n/.exec(
    cellWith(nb, "run.evaluate(").outputs.map(outputText).join(""),
  );
  assert.ok(ev);
  const { steps } = metricsOf(ev[3]!);
  assert.equal(steps.at(-1)!.step, Number(ft[1]));
  assertClose(ft[3]!, steps.at(-1)!.loss, "final loss");
  // The final metric: exp(total NLL / total answer tokens) over the rows written to predictions/held-out.csv.
  const ref = python(PERPLEXITY_FROM_CSV, { file: path.join(ev[3]!, "predictions", "held-out.csv") });
  assert.equal(ref.rows, Number(ev[2]));
  assert.ok(ref.rows! > 0);
  assertClose(ev[1]!, ref.ppl!, "held-out perplexity");
  assert.match(cellWith(nb, "server.close()").outputs.map(outputText).join(""), /^server closed\n$/);
});

test("automl.ipynb: a TPE + ASHA search whose leaderboard agrees with every trial's own folder", () => {
  const { notebook: nb, seconds } = runner.execute("automl");
  assertClean(nb);
  assert.ok(seconds < 150, `ran in ${seconds} s`);
  const out = cellWith(nb, "runSearch(base").outputs.map(outputText).join("");
  const ends = [...out.matchAll(/^trial (\d+) (complete|pruned): loss (\S+)/gm)];
  assert.equal(ends.length, 6, out);
  const dir = /search folder: (.*)/.exec(out)?.[1];
  assert.ok(dir, out);
  const record = JSON.parse(readFileSync(path.join(dir, "search.json"), "utf8")) as {
    trials: {
      number: number;
      state: string;
      value: number;
      folder: string;
      curve: [number, number][];
      reason?: string;
    }[];
  };
  assert.equal(record.trials.length, 6);
  for (const t of record.trials) {
    // Each trial's curve is its own folder's validation losses; its value the best of them.
    const { evals } = metricsOf(t.folder);
    const upTo = evals.map((e) => [e.step, e.loss]);
    assert.deepEqual(t.curve, upTo, `trial ${t.number} curve`);
    assert.equal(t.value, Math.min(...t.curve.map((c) => c[1])));
    if (t.state === "pruned") assert.match(t.reason ?? "", /^ASHA rung \d+ \(step \d+\)/);
  }
  const table = tableIn(nb, "searchLeaderboard(", "leaderboard");
  assert.deepEqual(table.header.slice(0, 4), ["trial", "state", "loss", "best_step"]);
  assert.equal(table.rows.length, 6);
  const complete = record.trials.filter((t) => t.state === "complete").sort((a, b) => a.value - b.value);
  assert.equal(table.rows[0]![0], String(complete[0]!.number), "the best complete trial first");
  const best = /best: trial (\d+), validation loss (\S+)/.exec(
    cellWith(nb, "searchLeaderboard(").outputs.map(outputText).join(""),
  );
  assert.ok(best);
  assert.equal(Number(best[1]), complete[0]!.number);
  assertClose(best[2]!, complete[0]!.value, "best value");
});

test("dpo.ipynb: preference pairs from the demo data; reward accuracy and margin rise and are charted", () => {
  const { notebook: nb, seconds } = runner.execute("dpo");
  assertClean(nb);
  assert.ok(seconds < 90, `ran in ${seconds} s`);
  const bar = progressOf(nb, "exp.fit()");
  assert.match(bar, /data-status="completed"/);
  const charts = plotly(nb).charts;
  assert.equal(charts.length, 1);
  const t = traces(charts[0]!);
  for (const name of ["train loss", "validation loss", "reward_accuracy", "reward_margin"])
    assert.ok(t.get(name)?.y.every(Number.isFinite), `chart trace ${name}: ${[...t.keys()]}`);
  const out = cellWith(nb, "reward accuracy").outputs.map(outputText).join("");
  const folder = /experiment folder: (.*)/.exec(out);
  assert.ok(folder, out);
  // The printed numbers are the experiment folder's own evaluation records.
  const { evals } = metricsOf(folder[1]!);
  assert.equal(evals.length, 3, "before training, mid-epoch and at the end");
  const [first, last] = [evals[0]!.metrics!, evals.at(-1)!.metrics!];
  assert.equal(first.reward_accuracy, 0, "policy = reference before the first step");
  assert.ok(last.reward_accuracy >= 0.9, `final reward accuracy ${last.reward_accuracy}`);
  assert.ok(
    last.reward_margin > first.reward_margin + 1,
    `margin ${first.reward_margin} → ${last.reward_margin}`,
  );
  assert.match(
    out,
    new RegExp(`reward accuracy ${last.reward_accuracy.toFixed(3)}, margin ${last.reward_margin.toFixed(3)}`),
  );
  assert.match(out, /status completed, best reward_accuracy/);
});

test("grpo.ipynb: the reward written in the notebook rises, is drawn beside the loss, and agrees with the printed history", () => {
  const { notebook: nb, seconds } = runner.execute("grpo");
  assertClean(nb);
  assert.ok(seconds < 90, `ran in ${seconds} s`);
  const bar = progressOf(nb, "exp.fit()");
  const m = /data-step="(\d+)" data-total="(\d+)" data-status="completed"/.exec(bar);
  assert.ok(m, bar);
  const charts = plotly(nb).charts;
  assert.equal(charts.length, 1);
  const t = traces(charts[0]!);
  const train = t.get("train reward");
  const valid = t.get("validation reward");
  assert.ok(train && valid, `traces: ${[...t.keys()]}`);
  assert.equal(train.x.length, Number(m[1]), "one reward point per step");
  assert.ok(t.has("train loss"));
  const out = cellWith(nb, "mean reward: step 1").outputs.map(outputText).join("");
  const r = /mean reward: step 1 (\S+), last step (\S+)\nvalidation reward: (.*)/.exec(out);
  assert.ok(r, out);
  const evals = r[3]!.split(" → ").map(Number);
  assert.ok(evals.at(-1)! > evals[0]! + 0.2, `validation reward ${r[3]}`);
  assertClose(r[1]!, train.y[0]!, "chart's first step reward");
  assertClose(r[2]!, train.y.at(-1)!, "chart's last step reward");
  // The greedy answer afterwards is scored by the notebook's own reward function.
  const answer = cellWith(nb, "run.backbone.generate").outputs.map(outputText).join("");
  const a = /^(".*") (\S+)\n$/.exec(answer);
  assert.ok(a, answer);
  const text = JSON.parse(a[1]!) as string;
  const share = text.length ? [...text].filter((c) => /[A-Z0-9 ]/.test(c)).length / text.length : 0;
  assertClose(a[2]!, share, "the reward of the answer shown");
});

test("classification.ipynb: a sentiment classifier's AUC and a star regressor's MSE improve; confusion matrix and scatter drawn", () => {
  const { notebook: nb, seconds } = runner.execute("classification", 300);
  assertClean(nb);
  assert.ok(seconds < 300, `ran in ${seconds} s`);
  const auc = /validation AUC: (.*)/.exec(cellWith(nb, "validation AUC").outputs.map(outputText).join(""));
  assert.ok(auc, "the AUC line is printed");
  const aucs = auc[1].split(" → ").map(Number);
  assert.ok(aucs.at(-1)! > aucs[0]! && aucs.at(-1)! >= 0.9, `AUC ${aucs.join(", ")}`);
  const mse = /validation MSE: (.*)/.exec(cellWith(nb, "validation MSE").outputs.map(outputText).join(""));
  assert.ok(mse, "the MSE line is printed");
  const mses = mse[1].split(" → ").map(Number);
  assert.ok(mses.at(-1)! < mses[0]!, `MSE ${mses.join(", ")}`);
  const charts = plotly(nb).charts;
  assert.ok(
    charts.some((h) => h.includes('"type":"heatmap"')),
    "a confusion matrix",
  );
  assert.ok(
    charts.some((h) => h.includes("prediction = target")),
    "a prediction-vs-target scatter",
  );
});
