import type { TrialRecord } from "../trial";
import type { PruneDecision, Pruner } from "./pruner";

/** Options of {@link MedianPruner} (Optuna's names and defaults). */
export interface MedianPrunerOptions {
  /** No pruning until this many trials have completed (default 5). */
  startupTrials?: number;
  /** No pruning before this optimizer step of a trial (default 0). */
  warmupSteps?: number;
}

/** Median of finite numbers (undefined when there are none). */
function median(values: readonly number[]): number | undefined {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Optuna's MedianPruner: a trial stops when its best objective so far is worse than the median of the completed
 * trials' objectives at the same step.
 * @example
 * ```ts
 * const pruner = new MedianPruner({ startupTrials: 3 });
 * ```
 */
export class MedianPruner implements Pruner {
  readonly name = "median";
  private readonly startupTrials: number;
  private readonly warmupSteps: number;

  constructor(options: MedianPrunerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 5;
    this.warmupSteps = options.warmupSteps ?? 0;
  }

  /**
   * @param trial - the running trial
   * @param step - the step just evaluated
   * @param history - all trials
   * @returns prune when its best so far is worse than the median at this step
   * @example
   * ```ts
   * pruner.decide(trial, 20, history);
   * ```
   */
  decide(trial: TrialRecord, step: number, history: readonly TrialRecord[]): PruneDecision {
    const completed = history.filter((t) => t.state === "complete" && t.number !== trial.number);
    if (completed.length < this.startupTrials || step < this.warmupSteps) return { prune: false };
    const m = median(completed.map((t) => t.intermediate.get(step) ?? Number.NaN));
    if (m === undefined) return { prune: false };
    const best = Math.min(...[...trial.intermediate.entries()].filter(([s]) => s <= step).map(([, v]) => v));
    if (!(best > m)) return { prune: false };
    return {
      prune: true,
      reason: `median pruning at step ${step}: best so far ${best.toPrecision(5)} is worse than the median ${m.toPrecision(5)} of ${completed.length} completed trials`,
    };
  }
}
