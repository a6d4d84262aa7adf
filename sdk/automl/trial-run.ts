/**
 * Training one trial, wherever it runs (in the search's process or on a queue worker): a fresh run in a new
 * experiment folder `<dir>/trial-NNN-<time>`, or, when such a folder already holds a checkpoint (a worker or a
 * search process was killed during the trial), the run continued from that checkpoint. The trial's progress
 * (curve, best value, tokens) is kept up to date at every step and evaluation; hooks decide whether it goes on.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { EvalEvent, Experiment, Run, StepEvent } from "../train";
import { ExperimentLockedError, readTrainerState } from "../train";
import type { Objective } from "./search-options";

/** What a trial has done so far (the fields a search record keeps of it). */
export interface TrialProgress {
  /** Objective at each evaluation: [step, value]. */
  curve: [number, number][];
  /** Best objective value seen (in the metric's own direction). */
  value?: number;
  /** The step of that value. */
  bestStep?: number;
  /** Training tokens processed, over every attempt. */
  tokens: number;
}

/** How a trial ended. */
export interface TrialOutcome {
  state: "complete" | "pruned" | "stopped" | "failed";
  reason?: string;
  /** Its experiment folder (absent when it failed before one was created). */
  folder?: string;
  /** The optimizer step it continued from, when it was resumed from a checkpoint. */
  resumedFrom?: number;
}

/** A decision to end a running trial: pruned (it falls behind) or stopped (the search's budget or signal). */
export interface TrialStop {
  readonly state: "pruned" | "stopped";
  readonly reason: string;
}

/** What decides whether a running trial goes on. */
export interface TrialHooks {
  /** After each step: a decision to end it now, or undefined to go on. */
  afterStep?(progress: TrialProgress): TrialStop | undefined | Promise<TrialStop | undefined>;
  /** After each evaluation (already in `progress`): a decision to end it, or undefined to go on. */
  afterEval?(progress: TrialProgress, step: number, value: number): Promise<TrialStop | undefined>;
}

/** The trial's experiment-folder name prefix, e.g. `trial-007`. */
export const trialName = (n: number): string => `trial-${String(n).padStart(3, "0")}`;

/**
 * The folder of trial `name` in `dir` that holds a last checkpoint to continue from (the newest when several).
 * @param dir - the search folder
 * @param name - the trial's name, e.g. `trial-007`
 * @returns the folder, or undefined when no attempt wrote a checkpoint
 * @example
 * ```ts
 * const folder = resumableTrialFolder(searchDir, trialName(7));
 * ```
 */
export function resumableTrialFolder(dir: string, name: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const pattern = new RegExp(`^${name}-\\d`);
  return readdirSync(dir)
    .filter((f) => pattern.test(f) && existsSync(path.join(dir, f, "checkpoints", "last")))
    .sort()
    .map((f) => path.join(dir, f))
    .pop();
}

/** Keeps the curve up to `step` (what a resume from that checkpoint re-evaluates after) and its best. */
function truncateProgress(progress: TrialProgress, step: number, sign: number): void {
  progress.curve = progress.curve.filter(([s]) => s <= step);
  progress.value = undefined;
  progress.bestStep = undefined;
  for (const [s, v] of progress.curve) recordBest(progress, s, v, sign);
}

function recordBest(progress: TrialProgress, step: number, value: number, sign: number): void {
  if (progress.value === undefined || sign * value < sign * progress.value) {
    progress.value = value;
    progress.bestStep = step;
  }
}

/**
 * Trains one trial to its end: fresh, or continued from the checkpoint of an earlier attempt in `dir`.
 * @param experiment - the trial's experiment (the base with the trial's settings, its folder root `dir`)
 * @param o - the search folder, the trial's name, the objective, its progress so far, the hooks
 * @returns how it ended (progress is updated in place); never throws for a failed run
 * @throws ExperimentLockedError when an earlier attempt's folder is still held by another process
 * @example
 * ```ts
 * const outcome = await trainTrial(exp, { dir, name: "trial-000", objective, progress: { curve: [], tokens: 0 } });
 * ```
 */
export async function trainTrial(
  experiment: Experiment,
  o: {
    dir: string;
    name: string;
    objective: Objective;
    progress: TrialProgress;
    hooks?: TrialHooks;
    signal?: AbortSignal;
  },
): Promise<TrialOutcome> {
  const { progress, objective } = o;
  const sign = objective.direction === "minimize" ? 1 : -1;
  const controller = new AbortController();
  const abort = () => controller.abort();
  o.signal?.addEventListener("abort", abort, { once: true });
  let stop: TrialStop | undefined;
  const end = (decision: TrialStop | undefined) => {
    if (decision === undefined || stop) return;
    stop = decision;
    controller.abort();
  };
  const callbacks = {
    onStep: async (e: StepEvent) => {
      progress.tokens += e.tokens;
      end(await o.hooks?.afterStep?.(progress));
    },
    onEval: async (e: EvalEvent) => {
      const value = objective.name === "loss" ? e.loss : e.metrics[objective.name];
      if (value === undefined || !Number.isFinite(value)) return;
      progress.curve.push([e.step, value]);
      recordBest(progress, e.step, value, sign);
      end(await o.hooks?.afterEval?.(progress, e.step, value));
    },
  };
  const fit = { callbacks: [callbacks], signal: controller.signal, display: false };
  const earlier = resumableTrialFolder(o.dir, o.name);
  let resumedFrom: number | undefined;
  try {
    let run: Run;
    if (earlier) {
      resumedFrom = (await readTrainerState(path.join(earlier, "checkpoints", "last"))).step;
      truncateProgress(progress, resumedFrom, sign);
      run = await experiment.resumeFolder(earlier, fit);
    } else {
      run = await experiment.set({ "logging.outputDir": o.dir, "logging.name": o.name }).fit(fit);
    }
    await run.backbone.dispose();
    const folder = run.store.dir;
    if (o.signal?.aborted && !stop) return { state: "stopped", reason: "the search was stopped", folder };
    if (stop) return { state: stop.state, reason: stop.reason, folder, resumedFrom };
    if (run.result.status !== "completed") {
      const reason = run.result.error?.message ?? `the run ended ${run.result.status}`;
      return { state: "failed", reason, folder, resumedFrom };
    }
    if (progress.value === undefined) {
      const reason = `the run reported no '${objective.name}' at its evaluations; set training.evaluation_epochs or add the metric`;
      return { state: "failed", reason, folder, resumedFrom };
    }
    return { state: "complete", folder, resumedFrom };
  } catch (e) {
    // Another live process trains this trial's folder: not a failure of the trial; the caller decides.
    if (e instanceof ExperimentLockedError) throw e;
    return { state: "failed", reason: (e as Error).message, folder: earlier, resumedFrom };
  } finally {
    o.signal?.removeEventListener("abort", abort);
  }
}
