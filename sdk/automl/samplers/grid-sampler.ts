import { ConfigError } from "../../errors";
import { seededRandom } from "../../util";
import { dimensionApplies, type SettingValue, snakePath } from "../search-space";
import type { TrialParams, TrialRecord } from "../trial";
import type { Sampler, SamplerContext } from "./sampler";

/**
 * Grid search as H2O LLM Studio runs it: the Cartesian product of each setting's list of values, shuffled
 * (seeded) and tried in that order; conditional settings are dropped from combinations where they do not
 * apply (and the duplicates this makes, removed). Every dimension must be a list (a `choice`).
 * @example
 * ```ts
 * const grid = new GridSampler({ space: parseSearchSpace({ "lora.r": [4, 8] }), seed: 0, base: () => undefined });
 * grid.size; // 2
 * ```
 */
export class GridSampler implements Sampler {
  readonly name = "grid";
  private readonly order: TrialParams[];

  /**
   * @param context - the space (lists only), seed and base settings
   * @throws ConfigError naming a dimension that is a range, not a list
   */
  constructor(context: SamplerContext) {
    const ranges = context.space.dimensions.filter((d) => d.kind !== "choice");
    if (ranges.length) {
      const issues = ranges.map((d) => ({
        path: [snakePath(d.path)],
        message: `grid search needs a list of values, found a ${d.kind} range; list the values or use strategy "random" or "tpe"`,
      }));
      throw new ConfigError(issues, { source: "search space" });
    }
    let combos: Map<string, SettingValue>[] = [new Map()];
    for (const d of context.space.dimensions) {
      if (d.kind !== "choice") continue;
      combos = combos.flatMap((c) =>
        dimensionApplies(d, c, context.base) ? d.values.map((v) => new Map(c).set(d.path, v)) : [c],
      );
    }
    const unique = new Map(combos.map((c) => [JSON.stringify([...c]), Object.fromEntries(c)]));
    this.order = [...unique.values()];
    const rand = seededRandom(context.seed);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    }
  }

  /** Number of combinations in the grid. */
  get size(): number {
    return this.order.length;
  }

  /**
   * @param history - the trials so far
   * @returns the next combination, or undefined when all were tried
   * @example
   * ```ts
   * grid.propose([]);
   * ```
   */
  propose(history: readonly TrialRecord[]): TrialParams | undefined {
    return this.order[history.length];
  }
}
