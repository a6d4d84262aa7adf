/**
 * One comparison, two renderers: `tunebook experiments compare` (text) and `showComparison` in a notebook
 * (HTML) show the same columns and the same formatted numbers, and neither shows settings that only name a
 * run or place its folder (`logging.name`, `logging.output_dir`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { showComparison } from "../../kernel-extensions/comparison";
import { applyOverrides, ExperimentStore, parseExperimentConfig } from "../../sdk/train";

type TestGlobal = { __tslab__?: { require: (id: string) => unknown } };

/** Three real experiment folders differing in learning rate, name and output_dir, with unround metrics. */
async function makeRoot(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-compare-"));
  const base = parseExperimentConfig({ architecture: { backbone: "./tiny" } });
  const runs: [string, string, number][] = [
    ["1e-4", "./a", 2.3456789],
    ["3.25e-4", "./b", 0.000123456],
    ["0.002", "./c", 123456.7],
  ];
  for (const [i, [lr, outputDir, loss]] of runs.entries()) {
    const config = applyOverrides(base, [
      `training.learning_rate=${lr}`,
      `logging.name=run${i}`,
      `logging.output_dir=${outputDir}`,
    ]);
    const store = await ExperimentStore.create({
      root,
      name: `run${i}`,
      config,
      now: new Date(2025, 0, 1, i),
    });
    store.appendMetrics([
      { type: "eval", step: 7, epoch: 1, loss, metrics: { perplexity: Math.exp(loss / 1e5), bleu: 12.3456 } },
    ]);
    await store.writeStatus("completed", { step: 7 });
  }
  return root;
}

function cliTable(root: string): { columns: string[]; cells: string[][] } {
  const bin = path.resolve("dist/sdk/cli/main.js");
  const r = spawnSync(process.execPath, [bin, "experiments", "compare", "-r", root], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const [head, ...lines] = r.stdout.trimEnd().split("\n");
  const split = (line: string) => line.trim().split(/\s{2,}/);
  return { columns: split(head!), cells: lines.map(split) };
}

function notebookTable(root: string): { columns: string[]; cells: string[][] } {
  // Test double: the real tslab display API exists only inside a running kernel (the end-to-end notebook runs
  // are test/notebooks); this fake records the HTML the kernel would show.
  const shown: string[] = [];
  const display = { html: (s: string) => shown.push(s), text: (s: string) => shown.push(s) };
  const g = globalThis as TestGlobal;
  g.__tslab__ = { require: (id) => (id === "tslab" ? { display, newDisplay: () => display } : undefined) };
  try {
    const dirs = fs.readdirSync(root).map((d) => path.join(root, d));
    showComparison({ experiments: dirs.sort(), chart: false });
  } finally {
    delete g.__tslab__;
  }
  const html = shown.find((h) => h.includes("tunebook-table"));
  assert.ok(html, "a table was displayed");
  const text = (cell: string) =>
    cell
      .replace(/<[^>]+>/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  const columns = [...html.matchAll(/<th[^>]*>(.*?)<\/th>/g)].map((m) => text(m[1]!));
  const body = html.slice(html.indexOf("<tbody>"));
  const cells = [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => text(m[1]!)),
  );
  return { columns, cells };
}

test("experiments compare and showComparison show the same rows and numbers, without name or output_dir", async () => {
  const root = await makeRoot();
  const cli = cliTable(root);
  const notebook = notebookTable(root);
  assert.deepEqual(cli, notebook);
  assert.deepEqual(cli.columns, [
    "run",
    "training.learning_rate",
    "status",
    "step",
    "train_loss",
    "eval_loss",
    "best_eval_loss",
    "metric.perplexity",
    "metric.bleu",
  ]);
  // The numbers as the compact table format writes them (4 significant digits, exponents outside [1e-3, 1e5)).
  assert.deepEqual(cli.cells, [
    ["run0-20250101-000000", "1e-4", "completed", "7", "-", "2.346", "2.346", "1", "12.35"],
    ["run1-20250101-010000", "3.25e-4", "completed", "7", "-", "1.235e-4", "1.235e-4", "1", "12.35"],
    ["run2-20250101-020000", "0.002", "completed", "7", "-", "1.235e5", "1.235e5", "3.437", "12.35"],
  ]);
});
