/**
 * Shared pieces of the tests that run the built `tunebook` binary (`node dist/sdk/cli/main.js`) as users do: a
 * workspace folder with a training file and an `exp.yaml`, the spawn wrappers, and readers of what a run wrote.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ExperimentStore, type StepEvent } from "../../sdk/train";
import { arithmeticRecords, experimentsRoot, tinyLlama } from "../train/fixtures";

/** The built CLI's entry point. */
export const BIN = path.resolve("dist/sdk/cli/main.js");

/** The environment of a spawned CLI: this process's, with idle ONNX Runtime threads sleeping, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, OMP_WAIT_POLICY: "PASSIVE", ...extra };
}

/** What a finished `tunebook` process left: its exit code, stdout and stderr. */
export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `tunebook <args>` in `cwd` to its end (environment: {@link childEnv} unless `env` is given). */
export function tunebook(
  args: string[],
  cwd?: string,
  options: { env?: NodeJS.ProcessEnv; timeout?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: options.env ?? childEnv(),
    timeout: options.timeout,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Starts `tunebook <args>` in `cwd` without waiting; `output()` is its stdout and stderr so far. */
export function startTunebook(args: string[], cwd: string): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv() });
  let text = "";
  child.stdout?.on("data", (d) => {
    text += d;
  });
  child.stderr?.on("data", (d) => {
    text += d;
  });
  return Object.assign(child, { output: () => text });
}

/** Resolves with the process's exit code once it ended (at once when it already has). */
export const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code)),
  );

/** `exp.yaml` settings as dotted `section.key` paths, in the order they are written; `null` leaves one out. */
export type Settings = Record<string, string | number | boolean | null>;

/** The settings every workspace starts from: one quick epoch of LoRA on the arithmetic CSV. */
const BASE_SETTINGS: Settings = {
  "dataset.train_file": "train.csv",
  "dataset.prompt_column": "question",
  "dataset.answer_column": "answer",
  "dataset.validation_size": 0.25,
  "lora.r": 2,
  "lora.target_modules": "[q_proj]",
  "training.epochs": 1,
  "training.batch_size": 4,
  "environment.threads": 1,
  "logging.name": "exp",
  "logging.output_dir": "runs",
};

/** Settings of a run long enough to be killed and resumed: 2 epochs of 9 steps on 48 records, evaluated often. */
export const RESUMABLE_SETTINGS: Settings = {
  "lora.r": 4,
  "lora.alpha": 8,
  "lora.target_modules": "[q_proj, v_proj]",
  "training.epochs": 2,
  "training.learning_rate": 0.005,
  "training.evaluation_epochs": 0.25,
  "environment.seed": 9,
  "logging.log_every_n_steps": 1,
};

/** The YAML text of dotted settings: one block per section, in the order of first appearance. */
function renderYaml(settings: Settings): string {
  const sections = new Map<string, string[]>();
  for (const [key, value] of Object.entries(settings)) {
    if (value === null) continue;
    const dot = key.indexOf(".");
    const [section, name] = [key.slice(0, dot), key.slice(dot + 1)];
    sections.set(section, [...(sections.get(section) ?? []), `  ${name}: ${value}`]);
  }
  return `${[...sections].flatMap(([section, lines]) => [`${section}:`, ...lines]).join("\n")}\n`;
}

/** CSV text of records (columns of the first record); fields other than plain words are quoted. */
export function csvOf(records: Record<string, string>[]): string {
  const field = (v: string) => (/^[\w.-]*$/.test(v) ? v : `"${v.replaceAll('"', '""')}"`);
  const columns = Object.keys(records[0] ?? {});
  const lines = [columns, ...records.map((r) => columns.map((c) => r[c]!))].map((l) =>
    l.map(field).join(","),
  );
  return `${lines.join("\n")}\n`;
}

/** What {@link cliWorkspace} writes. */
export interface CliWorkspaceOptions {
  /** Settings over {@link BASE_SETTINGS} (a key given replaces the default; `null` removes it). */
  settings?: Settings;
  /** The records of `train.csv` (default: 16 arithmetic records); `false` writes no `train.csv`. */
  records?: Record<string, string>[] | false;
  /** Further files to write, name → content. */
  files?: Record<string, string>;
  /** `architecture.backbone` (default: the tiny Llama checkpoint of {@link tinyLlama}). */
  backbone?: string;
  /** The folder to write into (default: a fresh {@link experimentsRoot}). */
  dir?: string;
}

/** A folder with `train.csv` and an `exp.yaml` for `tunebook train --config exp.yaml`; returns its path. */
export async function cliWorkspace(options: CliWorkspaceOptions = {}): Promise<string> {
  const dir = options.dir ?? experimentsRoot();
  const records = options.records ?? arithmeticRecords(16);
  if (records) fs.writeFileSync(path.join(dir, "train.csv"), csvOf(records));
  for (const [name, content] of Object.entries(options.files ?? {})) {
    fs.writeFileSync(path.join(dir, name), content);
  }
  const backbone = options.backbone ?? (await tinyLlama());
  const settings = { "architecture.backbone": backbone, ...BASE_SETTINGS, ...options.settings };
  fs.writeFileSync(path.join(dir, "exp.yaml"), renderYaml(settings));
  return dir;
}

/** The one experiment folder under `root`, asserting there is exactly one. */
export function onlyExperiment(root: string): string {
  const entries = fs.readdirSync(root);
  assert.equal(entries.length, 1, `expected one experiment in ${root}, found ${entries.join(", ")}`);
  return path.join(root, entries[0]!);
}

/** The `[step, loss]` pairs an experiment folder recorded, in order. */
export const stepLosses = (dir: string): [number, number][] =>
  ExperimentStore.open(dir)
    .readMetrics()
    .filter((r) => r.type === "step")
    .map((r): [number, number] => [r.step, (r as StepEvent).loss]);

/** The step of an experiment's checkpoint `name` (0 while it has none). */
export function checkpointStep(dir: string, name = "last"): number {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "checkpoints", name, "trainer-state.json"), "utf8"))
      .step;
  } catch {
    return 0;
  }
}

/** Kills the training `child` with SIGKILL once its one experiment under `runs` has a checkpoint at `minStep`. */
export async function killAfterCheckpoint(
  child: ChildProcess,
  runs: string,
  minStep: number,
): Promise<string> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const entries = fs.existsSync(runs) ? fs.readdirSync(runs) : [];
    if (entries.length === 1 && checkpointStep(path.join(runs, entries[0]!)) >= minStep) {
      child.kill("SIGKILL");
      await exited(child);
      return path.join(runs, entries[0]!);
    }
    if (child.exitCode !== null) throw new Error("the run ended before it could be killed");
  }
}
