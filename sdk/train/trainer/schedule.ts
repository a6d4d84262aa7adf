/**
 * Learning-rate schedules: linear warmup from 0 to the peak, then constant, linear or cosine decay to
 * `minLrRatio × peak` at the last step (the shapes of Hugging Face transformers' `get_*_schedule_with_warmup`,
 * with a floor).
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
  /** Final learning rate as a fraction of the peak. */
  minLrRatio: number;
}

/**
 * The learning rate of optimizer step `step` (1-based).
 * @param step - the step about to run, 1…totalSteps
 * @param o - peak, shape, total and warmup steps, floor
 * @returns the learning rate
 * @example
 * ```ts
 * learningRateAt(1, { peak: 1e-3, schedule: "cosine", totalSteps: 100, warmupSteps: 10, minLrRatio: 0 }); // 1e-4
 * ```
 */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  if (o.warmupSteps > 0 && step <= o.warmupSteps) return (o.peak * step) / o.warmupSteps;
  if (o.schedule === "constant") return o.peak;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - o.warmupSteps) / decaySteps));
  const shape = o.schedule === "linear" ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  const floor = o.minLrRatio * o.peak;
  return floor + (o.peak - floor) * shape;
}
