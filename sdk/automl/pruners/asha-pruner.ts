import type { TrialRecord } from "../trial";
import type { PruneDecision, Pruner } from "./pruner";

/** Options of {@link AshaPruner} (Optuna's SuccessiveHalvingPruner / Ray Tune's ASHA). */
export interface AshaPrunerOptions {
  /** Steps every trial gets before its first rung (Ray's `grace_period`, Optuna's `min_resource`; default 1). */
  gracePeriod?: number;
  /** η: rungs at gracePeriod·η^k, and the top 1/η at a rung go on (default 4). */
  reductionFactor?: number;
  /** Optuna's `min_early_stopping_rate` s: the first rung is at gracePeriod·η^s (default 0). */
  minEarlyStoppingRate?: number;
}

/**
 * Asynchronous successive halving: rungs at `gracePeriod · η^(s+k)` optimizer steps; when a trial reaches a rung it
 * is compared with every trial that reached that rung before it (its objective at the first evaluation at or
 * after the rung) and goes on only if it is among the best ⌊n/η⌋ of them (the first to arrive always goes on),
 * as Optuna's SuccessiveHalvingPruner decides.
 * @example
 * ```ts
 * const pruner = new AshaPruner({ gracePeriod: 10, reductionFactor: 3 });
 * ```
 */
export class AshaPruner implements Pruner {
  readonly name = "asha";
  private readonly grace: number;
  private readonly eta: number;
  private readonly rate: number;
  /** Per rung: trial number → its objective there. */
  private readonly rungs: Map<number, number>[] = [];

  constructor(options: AshaPrunerOptions = {}) {
    this.grace = options.gracePeriod ?? 1;
    this.eta = options.reductionFactor ?? 4;
    this.rate = options.minEarlyStoppingRate ?? 0;
    if (!(this.grace >= 1) || !(this.eta >= 2) || !(this.rate >= 0)) {
      throw new RangeError(
        `ASHA needs gracePeriod ≥ 1, reductionFactor ≥ 2 and minEarlyStoppingRate ≥ 0; got ${this.grace}, ${this.eta}, ${this.rate}`,
      );
    }
  }

  /** The optimizer step of rung k. */
  rungStep(k: number): number {
    return this.grace * this.eta ** (this.rate + k);
  }

  /**
   * @param trial - the running trial
   * @param step - the step just evaluated
   * @returns prune when the trial is not in the top 1/η of a rung it reached
   * @example
   * ```ts
   * pruner.decide(trial, 40, history);
   * ```
   */
  decide(trial: TrialRecord, step: number): PruneDecision {
    const value = trial.intermediate.get(step);
    if (value === undefined) return { prune: false };
    for (let k = 0; step >= this.rungStep(k); k++) {
      this.rungs[k] ??= new Map();
      const rung = this.rungs[k];
      if (rung.has(trial.number)) continue;
      rung.set(trial.number, value);
      const competing = [...rung.values()].sort((a, b) => a - b);
      const promotable = Math.max(0, Math.floor(competing.length / this.eta) - 1);
      if (!(value <= competing[promotable])) {
        return {
          prune: true,
          reason: `ASHA rung ${k} (step ${this.rungStep(k)}): ${value.toPrecision(5)} is not in the best ${promotable + 1} of ${competing.length} trials there (cut-off ${competing[promotable].toPrecision(5)})`,
        };
      }
    }
    return { prune: false };
  }
}
