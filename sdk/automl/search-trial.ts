import type { TrialState } from "./trial";

/** One trial as the search folder records it. */
export interface SearchTrial {
  /** 0-based. */
  number: number;
  /** Settings by snake_case dotted path, as a config file writes them. */
  params: Record<string, unknown>;
  /** `stopped`: the search's budget or signal ended it. */
  state: TrialState | "stopped";
  /** Best objective value seen at its evaluations (in the metric's own direction). */
  value?: number;
  /** The step of that value. */
  bestStep?: number;
  /** Objective at each evaluation: [step, value]. */
  curve: [number, number][];
  /** Why it was pruned, stopped or failed. */
  reason?: string;
  /** Its experiment folder (absent when it failed before one was created). */
  folder?: string;
  /** Training tokens it processed. */
  tokens: number;
  /** Who proposed its settings (`tpe`, `advisor`, …) and the reason given, when the strategy says. */
  proposal?: { source: string; reason?: string };
  /** Wall-clock seconds it ran. */
  seconds: number;
}
