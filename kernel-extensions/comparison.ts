/**
 * Experiment comparison for notebooks: a table of finished runs (the settings that differ, final losses and
 * metrics, read from their experiment folders) and a chart of their validation-loss curves, one line per run.
 * In a terminal both print as text.
 */
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { type ComparisonRow, compareExperiments, ExperimentStore } from "../sdk/train";
import { type ChartSeries, showChart } from "./chart";
import { surfaceOptionsSchema } from "./surface";
import { showTable } from "./table";

/** An experiment folder, or anything that has one (a `Run` from `fit()`). */
export type ExperimentRef = string | { readonly dir: string };

const refSchema = z.union([
  z.string().min(1),
  z.custom<{ dir: string }>(
    (v) => typeof v === "object" && v !== null && typeof (v as { dir?: unknown }).dir === "string",
    { message: "expected an experiment folder or an object with `dir` (a Run)" },
  ),
]);

const compareSchema = z
  .object({
    /** The runs to compare, in the order shown. */
    experiments: z.array(refSchema).min(1),
    /** Setting columns: only those that differ between the runs (default), or every setting. */
    settings: z.enum(["differing", "all"]).default("differing"),
  })
  .strict();

const showSchema = surfaceOptionsSchema.extend({
  experiments: compareSchema.shape.experiments,
  settings: compareSchema.shape.settings,
  /** Caption of the table and title of the chart. */
  title: z.string().default("experiment comparison"),
  /** Set to false to show the table only. */
  chart: z.boolean().default(true),
});

/** Options of {@link compareRuns}. */
export type CompareRunsOptions = z.input<typeof compareSchema>;
/** Options of {@link showComparison}. */
export type ShowComparisonOptions = z.input<typeof showSchema>;

/** What {@link compareRuns} reads from the experiment folders. */
export interface RunComparison {
  /** One row per run: `run` (folder name), the chosen settings (`group.key`), status, step, losses, metrics. */
  rows: ComparisonRow[];
  /** The table's columns, in order. */
  columns: string[];
  /** The table's cells as shown: the same text as `tunebook experiments compare` prints. */
  cells: string[][];
  /** Settings whose values differ between the runs (`logging.name` left out: the `run` column names them). */
  differingSettings: string[];
  /** Validation loss per evaluation, one series per run, named after the run. */
  validationLoss: ChartSeries[];
}

const dirOf = (ref: ExperimentRef): string => (typeof ref === "string" ? ref : ref.dir);

/**
 * Reads finished runs side by side from their experiment folders (config.yaml, metrics.jsonl, status.json).
 * @param options - `experiments` (folders or `Run`s), `settings` (`differing` | `all`)
 * @returns table rows, the differing settings, and validation-loss series
 * @throws ConfigError for invalid options; ExperimentNotFoundError when a folder is not an experiment
 * @example
 * ```ts
 * const cmp = compareRuns({ experiments: [runA, runB] });
 * cmp.rows.map((r) => r.eval_loss);
 * ```
 */
export function compareRuns(options: CompareRunsOptions): RunComparison {
  const o = parseOptions(compareSchema, options, "compareRuns");
  const dirs = o.experiments.map(dirOf);
  const cmp = compareExperiments(dirs);
  const { rows, cells, columns } = cmp.table({ settings: o.settings });
  const differingSettings = cmp.differingSettings;
  const validationLoss = dirs.map((dir) => {
    const store = ExperimentStore.open(dir);
    const evals = store.readMetrics().filter((m) => m.type === "eval");
    return { name: store.id, x: evals.map((e) => e.step), y: evals.map((e) => e.loss) };
  });
  return { rows, columns, cells, differingSettings, validationLoss };
}

/**
 * Shows a comparison of finished runs: a table (differing settings, final losses, metrics) and a plotly chart
 * of their validation-loss curves, one line per run. Text in a terminal.
 * @param options - `experiments` (folders or `Run`s), `settings`, `title`, `chart` (default true), surface
 *   (`mode`, `output`)
 * @returns what was shown (see {@link compareRuns})
 * @throws ConfigError for invalid options; ExperimentNotFoundError when a folder is not an experiment
 * @example
 * ```ts
 * const runs = [await expA.fit(), await expB.fit()];
 * showComparison({ experiments: runs, title: "LoRA rank 4 vs 16" });
 * ```
 */
export function showComparison(options: ShowComparisonOptions): RunComparison {
  const o = parseOptions(showSchema, options, "showComparison");
  const cmp = compareRuns({ experiments: o.experiments, settings: o.settings });
  const surface = { mode: o.mode, output: o.output };
  const shown = { columns: cmp.columns, values: cmp.cells };
  showTable({ ...surface, title: o.title, rows: shown });
  if (o.chart) {
    const spec = { title: o.title, xTitle: "step", series: cmp.validationLoss, panels: ["validation loss"] };
    showChart({ ...surface, spec, intervalMs: 0, panelHeight: 300 }).flush();
  }
  return cmp;
}
