import { z } from "zod";
import { MetricInputError } from "./errors";
import type { MetricDirection, MetricResult } from "./metric";
import { parseOptions, sameLength } from "./validate";

/** One row of a predictions table: plain data, ready for a notebook view or a CSV. */
export interface PredictionRow {
  /** Row position in the evaluated data. */
  index: number;
  /** The source record's original columns (the user's question column, ids, …), when given. */
  data?: Record<string, unknown>;
  /** The prompt as the model saw it (with a chat template applied, if any). */
  prompt: string;
  reference: string;
  prediction: string;
  /** Per-row score of each metric, by metric name (NaN where the metric gave none). */
  scores: Record<string, number>;
  /** Per-row explanation of each metric that has one (the judge's answer). */
  explanations: Record<string, string>;
}

const tableSchema = z.object({
  prompts: z.array(z.string()).optional(),
  /** The source records the rows came from, kept beside the rendered prompt. */
  data: z.array(z.record(z.unknown())).optional(),
  references: z.array(z.union([z.string(), z.array(z.string())])),
  predictions: z.array(z.string()),
  results: z
    .array(z.custom<MetricResult>((v) => typeof v === "object" && v !== null && "name" in v))
    .default([]),
});

/** Options of {@link buildPredictionsTable}. */
export type PredictionsTableOptions = z.input<typeof tableSchema>;

/**
 * Builds a per-row predictions table from the evaluated texts and the metric results' per-row scores.
 * @param options - `predictions`, `references`, optional `prompts` and `data` (the source records, kept beside
 *   the prompts), and metric `results` (their `perRow`)
 * @returns one row per prediction
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when lengths differ (including a result's `perRow`)
 * @example
 * ```ts
 * const bleu = await Metrics.bleu().compute({ predictions, references });
 * const table = buildPredictionsTable({ prompts, predictions, references, results: [bleu] });
 * ```
 */
export function buildPredictionsTable(options: PredictionsTableOptions): PredictionRow[] {
  const o = parseOptions(tableSchema, options, "buildPredictionsTable");
  const n = sameLength("predictionsTable", {
    predictions: o.predictions,
    references: o.references,
    ...(o.prompts ? { prompts: o.prompts } : {}),
    ...(o.data ? { data: o.data } : {}),
    ...Object.fromEntries(o.results.filter((r) => r.perRow).map((r) => [`${r.name}.perRow`, r.perRow ?? []])),
  });
  return Array.from({ length: n }, (_, i) => {
    const ref = o.references[i];
    const scores: Record<string, number> = {};
    const explanations: Record<string, string> = {};
    for (const r of o.results) {
      scores[r.name] = r.perRow ? r.perRow[i] : Number.NaN;
      if (r.explanations) explanations[r.name] = r.explanations[i];
    }
    return {
      index: i,
      ...(o.data ? { data: { ...o.data[i] } } : {}),
      prompt: o.prompts?.[i] ?? "",
      reference: typeof ref === "string" ? ref : ref.join(" | "),
      prediction: o.predictions[i],
      scores,
      explanations,
    };
  });
}

const pickSchema = z.object({
  rows: z.array(z.custom<PredictionRow>((v) => typeof v === "object" && v !== null && "scores" in v)),
  kind: z.enum(["best", "worst", "random"]),
  metric: z.string().optional(),
  direction: z.enum(["max", "min"]).default("max"),
  n: z.number().int().positive().default(5),
  seed: z.number().int().default(0),
});

/** Options of {@link pickSamples}. */
export type PickSamplesOptions = z.input<typeof pickSchema>;

/**
 * Picks rows to look at: the `n` best or worst by one metric's per-row score (ties keep table order; rows
 * without a score are skipped), or `n` random rows (seeded, without replacement, in table order).
 * @param options - `rows`, `kind`, `metric` (needed for best/worst), its `direction`, `n`, `seed`
 * @returns the chosen rows
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when best/worst names no metric, or one the rows do not have
 * @example
 * ```ts
 * pickSamples({ rows: table, kind: "worst", metric: "bleu", direction: "max", n: 3 });
 * ```
 */
export function pickSamples(options: PickSamplesOptions): PredictionRow[] {
  const o = parseOptions(pickSchema, options, "pickSamples");
  if (o.kind === "random") return seededSample(o.rows, o.n, o.seed);
  const metric = o.metric;
  if (!metric || (o.rows.length > 0 && !(metric in o.rows[0].scores))) {
    throw new MetricInputError({
      metric: "pickSamples",
      expected: `a metric name among [${Object.keys(o.rows[0]?.scores ?? {}).join(", ")}]`,
      found: JSON.stringify(metric),
      fix: "Pass `metric` naming one of the results the table was built with.",
    });
  }
  const better = (d: MetricDirection) => (a: number, b: number) => (d === "max" ? b - a : a - b);
  const dir: MetricDirection = o.kind === "best" ? o.direction : o.direction === "max" ? "min" : "max";
  return o.rows
    .filter((r) => !Number.isNaN(r.scores[metric]))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => better(dir)(a.r.scores[metric], b.r.scores[metric]) || a.i - b.i)
    .slice(0, o.n)
    .map((x) => x.r);
}

function seededSample<T>(items: T[], n: number, seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idx = items.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx
    .slice(0, n)
    .sort((x, y) => x - y)
    .map((i) => items[i]);
}
