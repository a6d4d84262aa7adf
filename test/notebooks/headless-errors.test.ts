/**
 * Failed cells in headless runs (`jupyter nbconvert --execute`, Debian's nbconvert, on the tunebook kernel):
 * the run fails loudly with the error's name, message and stack; with `--allow-errors` every failed cell
 * carries an `error` output and the cells after it still run.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { installKernel } from "../../kernel-extensions";
import { JupyterHarness, PYTHON, writeNotebook } from "./jupyter-harness";
import { cellWith, type Notebook, outputText } from "./notebook-runner";

const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-headless-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const prefix = path.join(dir, "prefix");
const work = path.join(dir, "work");
for (const d of ["config", "runtime", "data", "work/node_modules"])
  mkdirSync(path.join(dir, d), { recursive: true });
symlinkSync(path.resolve("."), path.join(work, "node_modules", "tunebook"), "dir");
installKernel({ prefix, name: "tunebook-headless", python: PYTHON, linkPackage: false });

const cells = [
  'import { LoRAConfig } from "tunebook";',
  "const bad = new LoRAConfig({ r: -1 });",
  'console.log("after the config error");',
  'const n: number = "three";',
  'console.log("after the type error");',
  'throw new RangeError("plain range error");',
  'console.log("last cell");',
];
writeNotebook(path.join(work, "fails.ipynb"), cells, {
  name: "tunebook-headless",
  display_name: "tunebook",
  language: "typescript",
});

function nbconvert(...args: string[]) {
  return spawnSync(
    PYTHON,
    ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=120", ...args],
    { cwd: work, env: JupyterHarness.env(dir, prefix), encoding: "utf8", timeout: 300_000 },
  );
}

test("nbconvert --execute fails with the cell's error name, message and stack", () => {
  const r = nbconvert("--output", "strict.ipynb", "fails.ipynb");
  assert.notEqual(r.status, 0, "a failing cell must fail the run");
  const report = r.stderr.slice(r.stderr.indexOf("CellExecutionError"));
  assert.match(report, /const bad = new LoRAConfig\(\{ r: -1 \}\);/);
  assert.match(report, /TunebookConfigError: Invalid configuration in LoRAConfig:/);
  assert.match(report, /r: expected an integer ≥ 1 and ≤ 1024, got -1/);
  assert.match(report, /at new LoRAConfig \(.*lora-config\.js:\d+:\d+\)/);
});

test("with --allow-errors each failed cell has an error output and the later cells still run", () => {
  const r = nbconvert("--allow-errors", "--output", "lenient.ipynb", "fails.ipynb");
  assert.equal(r.status, 0, r.stderr);
  const nb = JSON.parse(readFileSync(path.join(work, "lenient.ipynb"), "utf8")) as Notebook;
  const errorOf = (marker: string) => {
    const errors = cellWith(nb, marker).outputs.filter((o) => o.output_type === "error");
    assert.equal(errors.length, 1, `one error output in the cell ${marker}`);
    return errors[0]!;
  };
  const printed = (marker: string) => cellWith(nb, marker).outputs.map(outputText).join("");

  const config = errorOf("new LoRAConfig");
  assert.equal(config.ename, "TunebookConfigError");
  assert.match(config.evalue ?? "", /r: expected an integer ≥ 1 and ≤ 1024, got -1/);
  assert.equal(printed("after the config error"), "after the config error\n");

  const typeError = errorOf('"three"');
  assert.equal(typeError.ename, "TypeScript");
  assert.match(typeError.evalue ?? "", /Type 'string' is not assignable to type 'number'/);
  assert.equal(printed("after the type error"), "after the type error\n");

  const thrown = errorOf("plain range error");
  assert.equal(thrown.ename, "RangeError");
  assert.equal(thrown.evalue, "plain range error");
  assert.equal(printed("last cell"), "last cell\n");
});
