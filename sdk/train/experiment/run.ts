/**
 * The outcome of `Experiment.fit()` / `Experiment.resume()`: how the run ended, its experiment folder, its
 * recorded metrics, and the backbone holding the trained values (ready to generate, evaluate or export).
 */
import type { Backbone } from "../../models";
import type { ExperimentConfig } from "../config";
import type { ExperimentStore, MetricRecord } from "../store";
import type { TrainLoopResult } from "../trainer";

/** A finished (completed, cancelled or failed) training run. */
export class Run {
  /**
   * @param store - the experiment folder
   * @param config - the resolved configuration the run used
   * @param backbone - the model with the trained values
   * @param result - how the loop ended
   */
  constructor(
    readonly store: ExperimentStore,
    readonly config: ExperimentConfig,
    readonly backbone: Backbone,
    readonly result: TrainLoopResult,
  ) {}

  /** `completed`, `cancelled` or `failed`. */
  get status(): TrainLoopResult["status"] {
    return this.result.status;
  }

  /** The experiment folder. */
  get dir(): string {
    return this.store.dir;
  }

  /** Optimizer steps done. */
  get step(): number {
    return this.result.step;
  }

  /** Last training loss. */
  get finalLoss(): number | undefined {
    return this.result.loss;
  }

  /** Best validation value (metric name, value, step), or null when never evaluated. */
  get best(): TrainLoopResult["best"] {
    return this.result.best;
  }

  /** The failure of a failed run. */
  get error(): Error | undefined {
    return this.result.error;
  }

  /**
   * The step and eval records of metrics.jsonl.
   * @returns the records in order
   * @example
   * ```ts
   * const losses = run.history.filter((r) => r.type === "step").map((r) => r.loss);
   * ```
   */
  get history(): MetricRecord[] {
    return this.store.readMetrics();
  }

  /** A one-line summary. */
  toString(): string {
    const loss = this.finalLoss === undefined ? "" : ` loss=${this.finalLoss.toPrecision(4)}`;
    const best = this.best
      ? ` best ${this.best.metric}=${this.best.value.toPrecision(4)}@${this.best.step}`
      : "";
    return `Run ${this.store.id}: ${this.status} after ${this.step} steps${loss}${best}`;
  }
}
