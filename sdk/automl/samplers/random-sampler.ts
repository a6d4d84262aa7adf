import { seededRandom } from "../../util";
import type { TrialParams } from "../trial";
import { drawParams, drawValue } from "./draw";
import type { Sampler, SamplerContext } from "./sampler";

/**
 * Random search: every dimension drawn uniformly (log-uniform for log ranges), seeded.
 * @example
 * ```ts
 * const sampler = new RandomSampler({ space, seed: 0, base: () => undefined });
 * ```
 */
export class RandomSampler implements Sampler {
  readonly name = "random";
  private readonly rand: () => number;

  constructor(private readonly context: SamplerContext) {
    this.rand = seededRandom(context.seed);
  }

  /**
   * @returns fresh random settings
   * @example
   * ```ts
   * sampler.propose([]);
   * ```
   */
  propose(): TrialParams {
    return drawParams(this.context.space.dimensions, this.context.base, (d) => drawValue(d, this.rand));
  }
}
