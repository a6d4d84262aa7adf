/**
 * `tunebook export` never destroys what it reads or where it runs: a target that is, contains or lies inside
 * the experiment, its checkpoints or the base model folder, or that is or contains the current directory, is
 * refused (symlinks resolved) and nothing is touched, byte for byte; `--overwrite` replaces only a previous
 * export (one with `tunebook-export.json`), never another non-empty folder; `--format onnx` writes a transformers.js folder with the training config in
 * its card, and an unknown format or dtype is refused listing the ones that exist.
 * The binary is spawned as users run it, on an experiment trained here by `tunebook train`.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { tunebook } from "../support/cli-workspace";
import { cliTrainedExperiment } from "./fixtures";

/** Every entry under `dir` (not following symlinks): file → sha256, symlink → its target, folder → "dir". */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const rel = path.relative(dir, p);
      const info = fs.lstatSync(p);
      if (info.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (info.isDirectory()) {
        out[rel] = "dir";
        walk(p);
      } else out[rel] = createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

let ws = "";
let trained = "";
let model = "";
let n = 0;

before(async () => {
  ({ ws, model, trained } = await cliTrainedExperiment());
});

after(() => fs.rmSync(ws, { recursive: true, force: true }));

/** A fresh case folder: a copy of the trained experiment and a working directory with files of the user's. */
function freshCase(): { root: string; exp: string; cwd: string } {
  const root = path.join(ws, `case-${++n}`);
  const exp = path.join(root, "experiments", path.basename(trained));
  fs.cpSync(trained, exp, { recursive: true });
  const cwd = path.join(root, "work");
  fs.mkdirSync(path.join(cwd, "data"), { recursive: true });
  fs.writeFileSync(path.join(cwd, "notes.txt"), "my notes\n");
  fs.writeFileSync(path.join(cwd, "data", "a.csv"), "x,y\n1,2\n");
  return { root, exp, cwd };
}

/** Runs an export that must be refused (exit 1, the message matching `why`) and leave `intact` untouched. */
function refused(args: string[], cwd: string, why: RegExp, intact: string[]): string {
  const before = intact.map(snapshot);
  const r = tunebook(["export", ...args], cwd);
  assert.equal(r.code, 1, `expected a refusal, got exit ${r.code}: ${r.out}${r.err}`);
  assert.match(r.err, why);
  assert.doesNotMatch(r.err, /TUNEBOOK_DEBUG|\bat .*\.js:\d+/, "a clear message, no stack trace");
  intact.forEach((dir, i) => {
    assert.deepEqual(snapshot(dir), before[i], `${dir} is intact`);
  });
  return r.err;
}

test("export -o . --overwrite from inside a folder is refused and deletes nothing", () => {
  const { root, exp, cwd } = freshCase();
  const err = refused([exp, "-o", ".", "--overwrite"], cwd, /is the current directory/, [root]);
  assert.match(err, new RegExp(cwd.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  refused([exp, "-o", ".", "--format", "merged", "--overwrite"], cwd, /current directory/, [root]);
});

test("export -o .. (a folder containing the current directory) is refused", () => {
  const { root, exp, cwd } = freshCase();
  refused([exp, "-o", "..", "--overwrite"], path.join(cwd, "data"), /contains the current directory/, [root]);
});

test("export -o <experiment> --overwrite is refused and the experiment is intact", () => {
  const { root, exp, cwd } = freshCase();
  refused([exp, "-o", exp, "--overwrite"], cwd, /is the experiment folder/, [root]);
  refused([exp, "-o", exp, "--format", "merged", "--overwrite"], cwd, /is the experiment folder/, [root]);
});

test("a target inside the experiment (its checkpoints) or containing it is refused", () => {
  const { root, exp, cwd } = freshCase();
  const checkpoint = path.join(exp, "checkpoints", "last");
  refused([exp, "-o", checkpoint, "--overwrite"], cwd, /lies inside the experiment folder/, [root]);
  refused([exp, "-o", path.join(exp, "export")], cwd, /lies inside the experiment folder/, [root]);
  refused([exp, "-o", path.dirname(exp), "--overwrite"], cwd, /contains the experiment folder/, [root]);
});

test("the base model folder is refused as a target", () => {
  const { root, exp, cwd } = freshCase();
  refused([exp, "-o", model, "--format", "merged", "--overwrite"], cwd, /base model folder/, [root, model]);
});

test("a symlink to the experiment or to the current directory is refused as a target", () => {
  const { root, exp, cwd } = freshCase();
  const links = path.join(root, "links");
  fs.mkdirSync(links);
  fs.symlinkSync(exp, path.join(links, "to-exp"));
  fs.symlinkSync(cwd, path.join(links, "to-cwd"));
  fs.symlinkSync(path.dirname(exp), path.join(links, "to-experiments"));
  refused(
    [exp, "-o", "../links/to-exp", "--overwrite"],
    cwd,
    /resolves to .*, which is the experiment folder/,
    [root],
  );
  refused([exp, "-o", "../links/to-cwd", "--overwrite"], cwd, /is the current directory/, [root]);
  refused([exp, "-o", "../links/to-exp/new-export"], cwd, /lies inside the experiment folder/, [root]);
  const around = "../links/to-experiments";
  refused([exp, "-o", around, "--overwrite"], cwd, /contains the experiment folder/, [root]);
});

test("--overwrite replaces a previous export but never another non-empty folder", () => {
  const { root, exp, cwd } = freshCase();
  const mine = path.join(root, "mine");
  fs.mkdirSync(mine);
  fs.writeFileSync(path.join(mine, "thesis.tex"), "\\documentclass{article}\n");
  const err = refused([exp, "-o", "../mine", "--overwrite"], cwd, /not a tunebook export/, [root]);
  assert.match(err, /mine/, "names the folder");
  assert.match(err, /tunebook-export\.json/);
  assert.match(err, /Choose another folder, or empty or delete/, "says how to proceed");

  const out = path.join(root, "out");
  const first = tunebook(["export", exp, "-o", "../out"], cwd);
  assert.equal(first.code, 0, first.err);
  const marker = JSON.parse(fs.readFileSync(path.join(out, "tunebook-export.json"), "utf8"));
  assert.deepEqual(marker, { exported_by: "tunebook", format: "peft" });
  const again = tunebook(["export", exp, "-o", "../out"], cwd);
  assert.equal(again.code, 1, "a previous export is kept without --overwrite");
  assert.match(again.err, /not empty .*--overwrite/);
  const merged = tunebook(["export", exp, "-o", "../out", "--format", "merged", "--overwrite"], cwd);
  assert.equal(merged.code, 0, merged.err);
  assert.ok(fs.existsSync(path.join(out, "config.json")), "replaced by the merged export");
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, "tunebook-export.json"), "utf8")).format, "merged");
  assert.deepEqual(
    fs.readdirSync(root).sort(),
    ["experiments", "mine", "out", "work"],
    "no temporary folders",
  );
});

test("export --format onnx writes a transformers.js folder; an unknown format or dtype lists the ones that exist", () => {
  const { exp, cwd } = freshCase();
  const help = tunebook(["export", "--help"], cwd);
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /peft/);
  assert.match(help.out, /onnx/);
  const r = tunebook(["export", exp, "-o", "../onnx", "--format", "onnx", "--dtypes", "fp32,q4"], cwd);
  assert.equal(r.code, 0, r.err);
  const out = path.join(cwd, "..", "onnx");
  for (const f of [
    "config.json",
    "tokenizer.json",
    "onnx/model.onnx_data",
    "onnx/model_q4.onnx",
    "README.md",
  ]) {
    assert.ok(fs.existsSync(path.join(out, f)), f);
  }
  assert.ok(!fs.existsSync(path.join(out, "onnx", "model_quantized.onnx")), "only the dtypes asked for");
  assert.match(fs.readFileSync(path.join(out, "README.md"), "utf8"), /validation_loss/);
  const bad = tunebook(["export", exp, "-o", "../tflite", "--format", "tflite"], cwd);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /'tflite' is invalid\. Allowed choices are peft, merged, onnx/);
  const dtype = tunebook(["export", exp, "-o", "../int4", "--format", "onnx", "--dtypes", "fp32,int4"], cwd);
  assert.equal(dtype.code, 1);
  assert.match(dtype.err, /--dtypes.*unknown dtype 'int4'; choose from fp32, q8, q4/);
  assert.ok(!fs.existsSync(path.join(cwd, "..", "tflite")) && !fs.existsSync(path.join(cwd, "..", "int4")));
});
