/**
 * Defaults an environment supplies to every `fit()` that does not bring its own: the notebook kernel
 * registers a live training view and the interrupt button's AbortSignal here, so `await exp.fit()` in a
 * notebook shows progress and stops cleanly without extra calls. The train layer knows nothing of notebooks:
 * it only asks this registry.
 */
import type { TrainCallbacks } from "./events";

/** What an environment adds to a run. */
export interface RunDefaults {
  /** Subscribers added to the run's own callbacks. */
  callbacks?: TrainCallbacks[];
  /** Used when the caller passes no `signal`. */
  signal?: AbortSignal;
}

/** Produces the defaults for one run (called once per `fit()`). */
export type RunDefaultsProvider = () => RunDefaults;

let provider: RunDefaultsProvider | undefined;

/**
 * Installs (or, with `undefined`, removes) the provider of run defaults.
 * @param next - the provider
 * @example
 * ```ts
 * setRunDefaults(() => ({ callbacks: [notebookTrainingView()], signal: kernelAbortSignal() }));
 * ```
 */
export function setRunDefaults(next: RunDefaultsProvider | undefined): void {
  provider = next;
}

/**
 * The defaults for a run that is starting.
 * @returns the provider's defaults, or none
 * @example
 * ```ts
 * const { callbacks = [], signal } = runDefaults();
 * ```
 */
export function runDefaults(): RunDefaults {
  return provider?.() ?? {};
}
