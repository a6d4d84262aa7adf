/**
 * Learning-rate schedules, exactly as Hugging Face transformers' `get_constant_schedule_with_warmup`,
 * `get_linear_schedule_with_warmup` and `get_cosine_schedule_with_warmup` (half a cosine) driven by its
 * Trainer: the multiplier λ(k) is a function of the number k of optimizer steps already taken, so the first
 * step runs at λ(0) (0 with warmup) and the last at λ(total − 1). `minLrRatio` lifts the decay's floor as
 * `get_cosine_with_min_lr_schedule_with_warmup` does (`λ·(1 − ratio) + ratio` after warmup); linear decay takes
 * the same floor.
 */

/** Settings of a schedule. */
export interface ScheduleOptions {
  /** Peak learning rate. */
  peak: number;
  /** Decay shape after warmup. */
  schedule: "cosine" | "linear" | "constant";
  /** Optimizer steps in the whole run. */
  totalSteps: number;
  /** Steps of linear warmup (0 = none). */
  warmupSteps: number;
  /** Floor of the decay as a fraction of the peak (transformers' `min_lr_rate`). */
  minLrRatio: number;
}

/**
 * transformers' multiplier λ(k) after `k` optimizer steps (its `lr_lambda(current_step)`).
 * @param k - optimizer steps already taken, 0…totalSteps − 1
 * @param o - shape, total and warmup steps, floor
 * @returns the fraction of the peak
 * @example
 * ```ts
 * scheduleMultiplier(0, { peak: 1, schedule: "linear", totalSteps: 10, warmupSteps: 2, minLrRatio: 0 }); // 0
 * ```
 */
export function scheduleMultiplier(k: number, o: ScheduleOptions): number {
  if (k < o.warmupSteps) return k / Math.max(1, o.warmupSteps);
  if (o.schedule === "constant") return 1;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps);
  const shape =
    o.schedule === "linear"
      ? Math.max(0, (o.totalSteps - k) / decaySteps)
      : Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((k - o.warmupSteps) / decaySteps))));
  return Math.max(0, shape * (1 - o.minLrRatio) + o.minLrRatio);
}

/**
 * The learning rate of optimizer step `step` (1-based): the peak times λ(step − 1), as in transformers' Trainer,
 * which steps its scheduler after each optimizer step.
 * @param step - the step about to run, 1…totalSteps
 * @param o - peak, shape, total and warmup steps, floor
 * @returns the learning rate
 * @example
 * ```ts
 * learningRateAt(2, { peak: 1e-3, schedule: "cosine", totalSteps: 100, warmupSteps: 10, minLrRatio: 0 }); // 1e-4
 * ```
 */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  return o.peak * scheduleMultiplier(step - 1, o);
}
