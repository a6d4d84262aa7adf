/** Side-by-side comparison of experiments: their settings and final metrics as flat rows. */
import { formatNumber } from "../../util";
import { configToPlain } from "../config";
import { ExperimentStore } from "./experiment-store";
import { listExperiments, summarizeExperiment } from "./list-experiments";

/** One experiment as a flat record: `id`, `status`, final metrics, and every setting as `group.key`. */
export type ComparisonRow = Record<string, string | number | boolean | null>;

/**
 * Settings that differ between runs without making them differ: the run's name (the `run` column names each
 * run) and the folder its experiment folder was written under.
 */
export const INCIDENTAL_SETTINGS: readonly string[] = ["logging.name", "logging.output_dir"];

/** A comparison as a table, the one both the CLI and the notebook render. */
export interface ComparisonTable {
  /**
   * The columns, in order: `run`, the settings shown, `status`, `step`, `train_loss`, `eval_loss`,
   * `best_eval_loss`, then every `metric.<name>`.
   */
  columns: string[];
  /** One record per experiment, keyed by column, raw values. */
  rows: ComparisonRow[];
  /** The same rows as display text, one string per column ({@link formatComparisonValue}). */
  cells: string[][];
}

/** The result of {@link compareExperiments}. */
export interface ExperimentComparison {
  /** One row per experiment. */
  rows: ComparisonRow[];
  /**
   * Settings (`group.key`, snake_case) whose values differ between the experiments, leaving out
   * {@link INCIDENTAL_SETTINGS}.
   */
  differingSettings: string[];
  /**
   * The comparison as a table, the settings that differ (default) or every setting as columns.
   * @param options - `settings`: `differing` (default) or `all`
   * @returns columns, raw rows and display cells
   */
  table(options?: { settings?: "differing" | "all" }): ComparisonTable;
  /**
   * The rows as a danfojs-node DataFrame (danfojs is loaded on first call: ~1 s, ~150 MB).
   * @param options - `onlyDiffering` (default true): keep only settings that differ, plus the metrics
   * @returns a `dfd.DataFrame`
   */
  toDataFrame(options?: { onlyDiffering?: boolean }): import("danfojs-node").DataFrame;
}

/**
 * The display text of one comparison value: numbers in the compact table format ({@link formatNumber}),
 * `null` as `-`.
 * @param value - a cell of a {@link ComparisonRow}
 * @returns the text shown in the CLI and the notebook
 * @example
 * ```ts
 * formatComparisonValue(0.000123456); // "1.235e-4"
 * ```
 */
export function formatComparisonValue(value: ComparisonRow[string] | undefined): string {
  if (value === null || value === undefined) return "-";
  return typeof value === "number" ? formatNumber(value) : String(value);
}

const RESULT_COLUMNS = ["status", "step", "train_loss", "eval_loss", "best_eval_loss"];

function flatten(prefix: string, value: unknown, out: ComparisonRow): void {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else if (Array.isArray(value)) out[prefix] = value.join(",");
  else out[prefix] = value as string | number | boolean | null;
}

function rowOf(store: ExperimentStore): { row: ComparisonRow; settings: ComparisonRow } {
  const s = summarizeExperiment(store);
  const row: ComparisonRow = {
    id: s.id,
    status: s.status,
    step: s.step ?? null,
    train_loss: s.trainLoss ?? null,
    eval_loss: s.evalLoss ?? null,
    best_eval_loss: s.bestEvalLoss ?? null,
  };
  for (const [k, v] of Object.entries(s.metrics)) row[`metric.${k}`] = v;
  const settings: ComparisonRow = {};
  try {
    const config = store.readConfig();
    if (config) flatten("", configToPlain(config), settings);
  } catch {
    // An unreadable config compares as missing settings.
  }
  return { row, settings };
}

/**
 * Compares experiments: their final losses/metrics and every setting, flagging the settings that differ. The
 * CLI (`tunebook experiments compare`) and the notebook (`showComparison`) both render its `table()`.
 * @param source - an experiments root folder, or a list of experiment folders
 * @returns rows, differing setting names, `table()` and `toDataFrame()`
 * @throws ExperimentNotFoundError when a listed folder is not an experiment
 * @example
 * ```ts
 * const cmp = compareExperiments("./experiments");
 * console.log(cmp.differingSettings); // e.g. ["training.learning_rate", "lora.r"]
 * cmp.toDataFrame().print();
 * ```
 */
export function compareExperiments(source: string | readonly string[]): ExperimentComparison {
  const dirs = typeof source === "string" ? listExperiments(source).map((e) => e.dir) : source;
  const parts = dirs.map((d) => rowOf(ExperimentStore.open(d)));
  const keys = [...new Set(parts.flatMap((p) => Object.keys(p.settings)))];
  const differingSettings = keys.filter(
    (k) =>
      !INCIDENTAL_SETTINGS.includes(k) &&
      new Set(parts.map((p) => JSON.stringify(p.settings[k] ?? null))).size > 1,
  );
  const rows = parts.map((p) => {
    const row = { ...p.row };
    for (const k of keys) row[k] = p.settings[k] ?? null;
    return row;
  });
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k.startsWith("metric."))))];
  return {
    rows,
    differingSettings,
    table(options = {}) {
      const settings = options.settings === "all" ? keys : differingSettings;
      const columns = ["run", ...settings, ...RESULT_COLUMNS, ...metrics];
      const shown = rows.map((r) =>
        Object.fromEntries(columns.map((c) => [c, (c === "run" ? r.id : r[c]) ?? null])),
      );
      return {
        columns,
        rows: shown,
        cells: shown.map((r) => columns.map((c) => formatComparisonValue(r[c]))),
      };
    },
    toDataFrame(options = {}) {
      // Loaded here, not at import time: danfojs-node pulls in TensorFlow.js (~1 s, ~150 MB).
      const dfd = require("danfojs-node") as typeof import("danfojs-node");
      const keep = options.onlyDiffering ?? true;
      const shown = rows.map((r) =>
        Object.fromEntries(
          Object.entries(r).filter(([k]) => !keep || !keys.includes(k) || differingSettings.includes(k)),
        ),
      );
      return new dfd.DataFrame(shown);
    },
  };
}
