/**
 * One experiment's folder on disk:
 * `config.yaml`, `metrics.jsonl` (one JSON line per step/eval event), `logs.txt`, `status.json`,
 * `predictions/` and `checkpoints/<name>/`. Every write is crash-safe (atomic replace or durable line append).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { parseOptions } from "../../errors";
import {
  appendLinesDurable,
  readCompleteLines,
  translateWriteErrorsSync,
  writeFileAtomic,
  writeJsonAtomic,
} from "../../util";
import { type ExperimentConfig, loadConfigFile, saveConfigFile } from "../config";
import type { EvalEvent, StepEvent } from "../events";
import { type CheckpointFiles, writeCheckpointAtomically } from "./checkpoint-write";
import { ExperimentNotFoundError } from "./experiment-not-found-error";
import { type ExperimentState, type ExperimentStatus, readStatusFile } from "./experiment-status";
import { toCsv } from "./predictions-csv";
import { acquireRunLock, type RunLock } from "./run-lock";

/** One line of `metrics.jsonl`: a step or eval event plus the wall-clock time it was recorded. */
export type MetricRecord = (StepEvent | EvalEvent) & { time: string };

const createOptionsSchema = z
  .object({
    root: z.string().min(1).default("./experiments"),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' or '-'"),
    config: z
      .custom<ExperimentConfig>((v) => v === undefined || (typeof v === "object" && v !== null))
      .optional(),
    now: z.date().optional(),
  })
  .strict();

/** Options of {@link ExperimentStore.create}. */
export type CreateStoreOptions = z.input<typeof createOptionsSchema>;

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Claims a new folder `<root>/<name>-<timestamp>[-n]` (mkdir fails if it exists, so two runs never share). */
function claimFolder(root: string, base: string): string {
  fs.mkdirSync(root, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = path.join(root, n === 1 ? base : `${base}-${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** An experiment folder: typed, crash-safe reads and writes of everything a run records. */
export class ExperimentStore {
  /** Absolute path of the experiment folder. */
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Creates a new experiment folder `<root>/<name>-<YYYYMMDD-HHMMSS>` (a `-2`, `-3`… suffix if taken) with
   * `config.yaml` (when a config is given) and `status.json` = created.
   * @param options - `root` (default `./experiments`), `name`, `config`, `now` (for the timestamp)
   * @returns the store
   * @throws ConfigError for invalid options; FileWriteError when `root` is read-only, full or a file
   * @example
   * ```ts
   * const store = await ExperimentStore.create({ root: "./experiments", name: "tiny", config });
   * ```
   */
  static async create(options: CreateStoreOptions): Promise<ExperimentStore> {
    const {
      root,
      name,
      config,
      now = new Date(),
    } = parseOptions(createOptionsSchema, options, "ExperimentStore.create");
    const where = { what: "experiment folder in", path: root, note: "(It is set by logging.output_dir.)" };
    const store = translateWriteErrorsSync(where, () => {
      const created = new ExperimentStore(path.resolve(claimFolder(root, `${name}-${stamp(now)}`)));
      fs.mkdirSync(created.path("predictions"));
      fs.mkdirSync(created.path("checkpoints"));
      return created;
    });
    if (config) await saveConfigFile(store.path("config.yaml"), config);
    const time = now.toISOString();
    await writeJsonAtomic(store.path("status.json"), {
      status: "created",
      name,
      createdAt: time,
      updatedAt: time,
    });
    return store;
  }

  /**
   * Opens an existing experiment folder.
   * @param dir - the folder
   * @returns the store
   * @throws ExperimentNotFoundError when the folder holds neither status.json nor config.yaml
   * @example
   * ```ts
   * const store = ExperimentStore.open("experiments/tiny-20250101-120000");
   * ```
   */
  static open(dir: string): ExperimentStore {
    const abs = path.resolve(dir);
    if (!fs.existsSync(path.join(abs, "status.json")) && !fs.existsSync(path.join(abs, "config.yaml"))) {
      throw new ExperimentNotFoundError(abs);
    }
    return new ExperimentStore(abs);
  }

  /**
   * Path of a file or folder inside the experiment.
   * @param parts - e.g. `"metrics.jsonl"` or `"checkpoints", "best"`
   * @returns the absolute path
   * @example
   * ```ts
   * store.path("checkpoints", "last");
   * ```
   */
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Folder name, e.g. `tiny-20250101-120000`. */
  get id(): string {
    return path.basename(this.dir);
  }

  /**
   * The saved configuration.
   * @returns the config, or `undefined` when the experiment has no config.yaml
   * @throws ConfigError when config.yaml is invalid
   * @example
   * ```ts
   * store.readConfig()?.training.learningRate;
   * ```
   */
  readConfig(): ExperimentConfig | undefined {
    const file = this.path("config.yaml");
    return fs.existsSync(file) ? loadConfigFile(file) : undefined;
  }

  /**
   * The current status.
   * @returns the contents of status.json, or `undefined` when missing or unreadable
   * @example
   * ```ts
   * store.readStatus()?.status; // "running"
   * ```
   */
  readStatus(): ExperimentStatus | undefined {
    return readStatusFile(this.path("status.json"));
  }

  /**
   * Replaces status.json atomically, keeping name and creation time.
   * @param status - the new state
   * @param extra - step reached, error message, pid and host
   * @returns when durable
   * @throws the underlying filesystem error
   * @example
   * ```ts
   * await store.writeStatus("completed", { step: 120 });
   * ```
   */
  async writeStatus(
    status: ExperimentState,
    extra: { step?: number; error?: string; pid?: number; host?: string } = {},
  ): Promise<void> {
    const now = new Date().toISOString();
    const previous = this.readStatus();
    const record: ExperimentStatus = {
      status,
      name: previous?.name ?? this.id,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      ...extra,
    };
    await writeJsonAtomic(this.path("status.json"), record);
  }

  /**
   * Appends step/eval events to metrics.jsonl, durably and line-complete.
   * @param events - events to record (the current time is added)
   * @throws the underlying filesystem error
   * @example
   * ```ts
   * store.appendMetrics([{ type: "eval", step: 10, epoch: 1, loss: 2.1, metrics: { perplexity: 8.2 } }]);
   * ```
   */
  appendMetrics(events: readonly (StepEvent | EvalEvent)[]): void {
    const time = new Date().toISOString();
    appendLinesDurable(
      this.path("metrics.jsonl"),
      events.map((e) => JSON.stringify({ ...e, time })),
    );
  }

  /**
   * Reads metrics.jsonl, skipping a torn last line a crash may have left.
   * @returns the records in order
   * @example
   * ```ts
   * const losses = store.readMetrics().filter((r) => r.type === "step").map((r) => r.loss);
   * ```
   */
  readMetrics(): MetricRecord[] {
    return readCompleteLines(this.path("metrics.jsonl")).map((l) => JSON.parse(l) as MetricRecord);
  }

  /**
   * Drops the metrics recorded after `step` (a resumed run records those steps again), atomically.
   * @param step - last optimizer step to keep
   * @returns when metrics.jsonl is rewritten
   * @throws the underlying filesystem error
   * @example
   * ```ts
   * await store.truncateMetrics(120);
   * ```
   */
  async truncateMetrics(step: number): Promise<void> {
    const kept = this.readMetrics().filter((r) => r.step <= step);
    await writeFileAtomic(this.path("metrics.jsonl"), kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
  }

  /**
   * Appends one line to logs.txt, prefixed with the time and level.
   * @param message - the text (newlines are folded into spaces)
   * @param level - info, warn or error
   * @example
   * ```ts
   * store.appendLog("loaded 1,000 training records");
   * ```
   */
  appendLog(message: string, level: "info" | "warn" | "error" = "info"): void {
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, " ")}`;
    appendLinesDurable(this.path("logs.txt"), [line]);
  }

  /**
   * Writes validation predictions to `predictions/<name>.<jsonl|csv>` atomically.
   * @param name - file stem, e.g. `step-100`
   * @param rows - one object per record (e.g. prompt, target, prediction, metric values)
   * @param format - `jsonl` (default) or `csv`
   * @returns the written file's path
   * @throws the underlying filesystem error
   * @example
   * ```ts
   * await store.writePredictions("final", [{ prompt: "2+2?", target: "4", prediction: "4" }], "csv");
   * ```
   */
  async writePredictions(
    name: string,
    rows: readonly Record<string, unknown>[],
    format: "jsonl" | "csv" = "jsonl",
  ): Promise<string> {
    translateWriteErrorsSync({ what: "predictions folder", path: this.path("predictions") }, () =>
      fs.mkdirSync(this.path("predictions"), { recursive: true }),
    );
    const file = this.path("predictions", `${name}.${format}`);
    const text = format === "csv" ? toCsv(rows) : rows.map((r) => `${JSON.stringify(r)}\n`).join("");
    await writeFileAtomic(file, text);
    return file;
  }

  /**
   * Takes the folder's run lock (`run.lock`, holding this process's pid and host), so no other process trains
   * it at the same time; a lock left by a dead process is taken over.
   * @returns the lock; release it when the run ends (it is also released when the process exits)
   * @throws ExperimentLockedError when a live run holds it
   * @example
   * ```ts
   * const lock = store.lock();
   * try { await train(); } finally { lock.release(); }
   * ```
   */
  lock(): RunLock {
    return acquireRunLock(this.dir);
  }

  /**
   * Writes `checkpoints/<name>/` atomically (see {@link writeCheckpointAtomically}).
   * @param name - checkpoint name, e.g. `last`, `best`, `step-200`
   * @param files - relative file names → contents
   * @returns the checkpoint folder
   * @throws the underlying filesystem error (the previous checkpoint survives)
   * @example
   * ```ts
   * await store.writeCheckpoint("last", { "trainer_state.json": JSON.stringify({ step: 10 }) });
   * ```
   */
  async writeCheckpoint(name: string, files: CheckpointFiles): Promise<string> {
    const dir = this.path("checkpoints", name);
    await writeCheckpointAtomically(dir, files);
    return dir;
  }
}
