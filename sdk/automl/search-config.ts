/**
 * A search described in one YAML/JSON file: an experiment configuration (the base of every trial) plus a
 * `search:` block with the space, strategy, metric, pruner, budget and seed — what `tunebook search --config`
 * runs.
 */
import { z } from "zod";
import { ConfigError } from "../errors";
import {
  applyOverrides,
  type ExperimentConfig,
  parseExperimentConfig,
  readConfigDocument,
} from "../train/config";
import { AshaPruner } from "./pruners/asha-pruner";
import { MedianPruner } from "./pruners/median-pruner";
import { checkBudget, objectiveOf, type SearchOptions } from "./search-options";
import { parseSearchSpace, type SearchSpaceInput } from "./search-space";

const PrunerSchema = z.union([
  z.enum(["none", "median", "asha"]),
  z
    .object({
      type: z.literal("median"),
      startup_trials: z.number().int().min(0).optional(),
      warmup_steps: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("asha"),
      grace_period: z.number().int().min(1).optional(),
      reduction_factor: z.number().min(2).optional(),
      min_early_stopping_rate: z.number().int().min(0).optional(),
    })
    .strict(),
]);

/** The `search:` block (snake_case, as config files write it). */
export const SearchBlockSchema = z
  .object({
    space: z.record(z.string(), z.unknown()),
    strategy: z.enum(["grid", "random", "tpe"]).default("tpe"),
    metric: z
      .union([z.string(), z.object({ name: z.string(), direction: z.enum(["minimize", "maximize"]) })])
      .optional(),
    pruner: PrunerSchema.optional(),
    budget: z.record(z.string(), z.unknown()).optional(),
    seed: z.number().int().optional(),
    name: z.string().min(1).optional(),
    queue: z
      .object({
        url: z.string().min(1),
        name: z.string().min(1).optional(),
        concurrency: z.number().int().positive().optional(),
        verdict_seconds: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A search file, resolved: the base experiment and the search options (without signal and callbacks). */
export interface SearchConfig {
  readonly config: ExperimentConfig;
  readonly options: Omit<SearchOptions, "signal" | "callbacks">;
}

function pruner(p: z.infer<typeof PrunerSchema> | undefined): SearchOptions["pruner"] {
  if (p === undefined || typeof p === "string") return p;
  if (p.type === "median")
    return new MedianPruner({ startupTrials: p.startup_trials, warmupSteps: p.warmup_steps });
  return new AshaPruner({
    gracePeriod: p.grace_period,
    reductionFactor: p.reduction_factor,
    minEarlyStoppingRate: p.min_early_stopping_rate,
  });
}

/**
 * Reads a search file: the experiment settings (validated as `tunebook train` validates them, `--set`
 * overrides applied) and the `search:` block (space checked against the schema, strategy, metric, pruner,
 * budget).
 * @param file - YAML or JSON file with a `search:` block
 * @param overrides - `key=value` overrides of the base experiment
 * @returns the base configuration and the search options
 * @throws ConfigError naming every problem (a missing `search:` block, a bad space, metric or budget)
 * @example
 * ```ts
 * const { config, options } = loadSearchConfig("search.yaml");
 * ```
 */
export function loadSearchConfig(file: string, overrides: readonly string[] = []): SearchConfig {
  const { raw, writtenValues } = readConfigDocument(file);
  const { search, ...experiment } = raw as Record<string, unknown>;
  if (search === undefined) {
    const message = "expected a `search:` block with at least a `space:` (setting → values or range)";
    throw new ConfigError([{ path: ["search"], message }], { source: file });
  }
  const block = SearchBlockSchema.safeParse(search);
  if (!block.success) {
    const issues = block.error.issues.map((i) => ({
      path: ["search", ...i.path.map(String)],
      message: i.message,
    }));
    throw new ConfigError(issues, { source: file });
  }
  const config = applyOverrides(
    parseExperimentConfig(experiment, { source: file, writtenValues }),
    overrides,
  );
  const b = block.data;
  const options: SearchConfig["options"] = {
    space: b.space as SearchSpaceInput,
    strategy: b.strategy,
    metric: b.metric,
    pruner: pruner(b.pruner),
    budget: checkBudget(b.budget as SearchOptions["budget"]),
    seed: b.seed,
    name: b.name,
    ...(b.queue
      ? {
          queue: {
            url: b.queue.url,
            name: b.queue.name,
            concurrency: b.queue.concurrency,
            verdictSeconds: b.queue.verdict_seconds,
          },
        }
      : {}),
  };
  parseSearchSpace(options.space);
  objectiveOf(options.metric);
  return { config, options };
}
