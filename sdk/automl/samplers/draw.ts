/** Drawing values of search dimensions at random (the random sampler, and TPE's start-up trials). */
import { type Dimension, dimensionApplies, type SettingValue } from "../search-space";
import type { TrialParams } from "../trial";
import type { BaseSetting } from "./sampler";

/**
 * One value of a dimension, uniform over its range (log-uniform for log ranges; integers inclusive).
 * @param d - the dimension
 * @param rand - a [0, 1) generator
 * @returns the value
 * @example
 * ```ts
 * drawValue({ kind: "int", low: 1, high: 3, log: false, path: "lora.r" }, Math.random);
 * ```
 */
export function drawValue(d: Dimension, rand: () => number): SettingValue {
  const u = rand();
  switch (d.kind) {
    case "choice":
      return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))];
    case "uniform":
      return d.low + u * (d.high - d.low);
    case "log_uniform":
      return Math.min(
        d.high,
        Math.max(d.low, Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low)))),
      );
    case "int": {
      if (!d.log) return Math.min(d.high, d.low + Math.floor(u * (d.high - d.low + 1)));
      const x = Math.exp(
        Math.log(d.low - 0.5 + 1e-9) + u * (Math.log(d.high + 0.5) - Math.log(d.low - 0.5 + 1e-9)),
      );
      return Math.min(d.high, Math.max(d.low, Math.round(x)));
    }
  }
}

/**
 * Settings for every dimension that applies, each drawn by `pick` in the space's order (a condition sees the
 * values drawn before it).
 * @param dimensions - the space's dimensions
 * @param base - the base configuration's settings
 * @param pick - chooses one dimension's value
 * @returns the trial's settings
 * @example
 * ```ts
 * const params = drawParams(space.dimensions, base, (d) => drawValue(d, rand));
 * ```
 */
export function drawParams(
  dimensions: readonly Dimension[],
  base: BaseSetting,
  pick: (d: Dimension) => SettingValue,
): TrialParams {
  const chosen = new Map<string, SettingValue>();
  for (const d of dimensions) if (dimensionApplies(d, chosen, base)) chosen.set(d.path, pick(d));
  return Object.fromEntries(chosen);
}
