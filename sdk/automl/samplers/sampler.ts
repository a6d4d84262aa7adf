/**
 * A sampler proposes the next trial's settings from the trials so far (the search strategy: grid, random, TPE,
 * or the LLM advisor). Proposals are deterministic given the seed and the history.
 */
import type { SearchSpace } from "../search-space";
import type { TrialParams, TrialRecord } from "../trial";

/** Reads a setting of the base configuration (camelCase dotted path), for conditional dimensions. */
export type BaseSetting = (path: string) => unknown;

/** A search strategy. */
export interface Sampler {
  /** Name shown in the search folder and views, e.g. `tpe`. */
  readonly name: string;
  /**
   * The next trial's settings.
   * @param history - every trial so far, in order
   * @returns the settings, or undefined when the strategy has nothing left to try (a finished grid)
   */
  propose(history: readonly TrialRecord[]): TrialParams | undefined | Promise<TrialParams | undefined>;
  /** Who made the last proposal and why, when the strategy says (the advisor: its reason, or its fallback). */
  readonly lastProposal?: { readonly source: string; readonly reason?: string };
}

/** What every sampler is built from. */
export interface SamplerContext {
  readonly space: SearchSpace;
  readonly seed: number;
  readonly base: BaseSetting;
}
