/** The options of a hyperparameter search, validated before any trial starts. */
import { z } from "zod";
import { ConfigError } from "../errors";
import type { Pruner } from "./pruners/pruner";
import type { QueueOptions } from "./queue/queue-executor";
import type { Sampler, SamplerContext } from "./samplers/sampler";
import type { SearchSpaceInput } from "./search-space";
import type { SearchTrial } from "./search-trial";

/** Metrics whose direction is known by name; any other needs `{ name, direction }`. */
const KNOWN_DIRECTIONS: Readonly<Record<string, "minimize" | "maximize">> = {
  loss: "minimize",
  perplexity: "minimize",
  log_loss: "minimize",
  mse: "minimize",
  mae: "minimize",
  bleu: "maximize",
  accuracy: "maximize",
  auc: "maximize",
  qa_accuracy: "maximize",
  llm_judge: "maximize",
};

/** Subscribers to a search's progress. */
export interface SearchCallbacks {
  /** A trial starts, with its settings. */
  onTrialStart?(trial: SearchTrial): void | Promise<void>;
  /** A trial reported its objective at an evaluation. */
  onTrialEval?(trial: SearchTrial, step: number, value: number): void | Promise<void>;
  /** A trial ended (complete, pruned, stopped by the budget, or failed). */
  onTrialEnd?(trial: SearchTrial): void | Promise<void>;
}

/** Options of `Experiment.search` / {@link runSearch}. */
export interface SearchOptions {
  /** Setting path → dimension (see `parseSearchSpace`). */
  space: SearchSpaceInput;
  /** `tpe` (default), `random`, `grid`, or a sampler factory (the advisor). */
  strategy?: "grid" | "random" | "tpe" | ((context: SamplerContext) => Sampler);
  /** The validation value to optimise: `loss` (default), a metric name, or `{ name, direction }`. */
  metric?: string | { name: string; direction: "minimize" | "maximize" };
  /** `none` (default), `median`, `asha`, or a pruner. */
  pruner?: "none" | "median" | "asha" | Pruner;
  /** When to stop: trials (default 20; a grid's size for grid), wall-clock seconds, trained tokens. */
  budget?: { trials?: number; seconds?: number; tokens?: number };
  /** Fixes every choice of the sampler (default: the experiment's `environment.seed`, else 0). */
  seed?: number;
  /** The search folder's name inside `root` (default `search`; a number is added when it exists). */
  name?: string;
  /** Where the search folder is created (default: the experiment's `logging.output_dir`). */
  root?: string;
  /**
   * Runs the trials on workers (`tunebook worker --queue <url>`) through a BullMQ job queue on Redis, instead of
   * one after another in this process. The search folder must be on a path every worker sees.
   */
  queue?: QueueOptions;
  /**
   * A search folder to continue (its process was killed or stopped): finished trials are kept, running ones
   * continue from their checkpoints, and the search goes on to its budget. Space, strategy and seed must be
   * the ones it was started with.
   */
  resume?: string;
  /** Stops the search after the running trial's current step. */
  signal?: AbortSignal;
  callbacks?: SearchCallbacks;
}

const budgetSchema = z
  .object({
    trials: z.number().int().positive().optional(),
    seconds: z.number().positive().finite().optional(),
    tokens: z.number().int().positive().optional(),
  })
  .strict();

/** The objective a search optimises. */
export interface Objective {
  readonly name: string;
  readonly direction: "minimize" | "maximize";
}

/**
 * Resolves the metric option to a name and a direction.
 * @param metric - the option
 * @returns the objective
 * @throws ConfigError for a metric whose direction is not known and not given
 * @example
 * ```ts
 * objectiveOf("bleu"); // { name: "bleu", direction: "maximize" }
 * ```
 */
export function objectiveOf(metric: SearchOptions["metric"]): Objective {
  if (metric === undefined) return { name: "loss", direction: "minimize" };
  if (typeof metric !== "string") return metric;
  const direction = KNOWN_DIRECTIONS[metric];
  if (!direction) {
    const message = `the direction of metric '${metric}' is not known; pass { name: "${metric}", direction: "maximize" | "minimize" }`;
    throw new ConfigError([{ path: ["metric"], message }], { source: "search options" });
  }
  return { name: metric, direction };
}

/**
 * Checks the budget: every bound given must be positive.
 * @param budget - the option
 * @returns the budget
 * @throws ConfigError naming a zero, negative or non-integer bound
 * @example
 * ```ts
 * checkBudget({ trials: 8 });
 * ```
 */
export function checkBudget(budget: SearchOptions["budget"]): NonNullable<SearchOptions["budget"]> {
  const r = budgetSchema.safeParse(budget ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({
      path: ["budget", ...i.path.map(String)],
      message: `expected a positive ${i.path[0] === "seconds" ? "number" : "integer"}, got ${JSON.stringify((budget as Record<string, unknown>)?.[String(i.path[0])])}`,
    }));
    throw new ConfigError(issues, { source: "search options" });
  }
  return r.data;
}
