/**
 * What a search knows of its trials: the settings each was given, how it ended, and its objective values. The
 * objective is always "lower is better" inside samplers and pruners; a metric to maximise is negated once, by
 * the search.
 */
import type { SettingValue } from "./search-space";

/** The settings of one trial: camelCase dotted path → value (only the dimensions that applied). */
export type TrialParams = Readonly<Record<string, SettingValue>>;

/** How a trial ended, or that it is still running. */
export type TrialState = "running" | "complete" | "pruned" | "failed";

/** One trial as samplers and pruners see it. */
export interface TrialRecord {
  /** 0-based trial number. */
  readonly number: number;
  readonly params: TrialParams;
  readonly state: TrialState;
  /** Final objective (lower is better), for complete trials. */
  readonly value?: number;
  /** Objective at each evaluation, by optimizer step (lower is better). */
  readonly intermediate: ReadonlyMap<number, number>;
}
