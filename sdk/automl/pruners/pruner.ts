/**
 * A pruner decides, at each evaluation of a running trial, whether to stop it early because it is unlikely to
 * beat the others (the objective is lower-is-better). A pruned trial keeps its folder; the reason is recorded.
 */
import type { TrialRecord } from "../trial";

/** A pruning decision. */
export type PruneDecision = { prune: false } | { prune: true; reason: string };

/** A pruning rule. */
export interface Pruner {
  /** Name shown in the search folder, e.g. `asha`. */
  readonly name: string;
  /**
   * Called after a trial reports its objective at `step` (already in `trial.intermediate`).
   * @param trial - the running trial
   * @param step - the optimizer step just evaluated
   * @param history - every trial, this one included
   * @returns whether to stop it, and why
   */
  decide(trial: TrialRecord, step: number, history: readonly TrialRecord[]): PruneDecision;
}

/** Never prunes. */
export const noPruning: Pruner = { name: "none", decide: () => ({ prune: false }) };
