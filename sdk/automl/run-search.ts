/**
 * The in-process search executor: proposes settings with the chosen strategy, runs each trial as a normal
 * experiment in the search's folder, prunes at evaluations, stops at the budget, and keeps `search.json` (every
 * trial's settings, state, curve, value and folder) up to date with atomic writes, so a crash loses nothing
 * recorded. Trials run one after another: onnxruntime already uses every core for one trial.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { EvalEvent, Experiment, ExperimentConfig, StepEvent } from "../train";
import { writeJsonAtomic } from "../util";
import { AshaPruner } from "./pruners/asha-pruner";
import { MedianPruner } from "./pruners/median-pruner";
import { noPruning, type Pruner } from "./pruners/pruner";
import { GridSampler } from "./samplers/grid-sampler";
import { RandomSampler } from "./samplers/random-sampler";
import type { Sampler, SamplerContext } from "./samplers/sampler";
import { TpeSampler } from "./samplers/tpe-sampler";
import { checkBudget, type Objective, objectiveOf, type SearchOptions } from "./search-options";
import { parseSearchSpace, type SearchSpace, snakePath } from "./search-space";
import type { SearchTrial } from "./search-trial";
import type { TrialParams, TrialRecord } from "./trial";

/** The outcome of a search. */
export interface SearchResult {
  /** The search folder (holds `search.json` and one experiment folder per trial). */
  readonly dir: string;
  readonly objective: Objective;
  readonly trials: readonly SearchTrial[];
  /** The best complete trial (undefined when none completed). */
  readonly best?: SearchTrial;
  /** Why the search ended. */
  readonly stoppedBy: "trials" | "seconds" | "tokens" | "exhausted" | "signal";
}

function settingOf(config: ExperimentConfig): (p: string) => unknown {
  return (p) =>
    p.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], config);
}

function samplerFor(strategy: SearchOptions["strategy"], context: SamplerContext): Sampler {
  if (typeof strategy === "function") return strategy(context);
  if (strategy === "grid") return new GridSampler(context);
  if (strategy === "random") return new RandomSampler(context);
  return new TpeSampler(context);
}

function prunerFor(pruner: SearchOptions["pruner"]): Pruner {
  if (pruner === undefined || pruner === "none") return noPruning;
  if (pruner === "median") return new MedianPruner();
  if (pruner === "asha") return new AshaPruner();
  return pruner;
}

/** A fresh folder `root/name`, or `root/name-2`, `-3`… when taken. */
function searchFolder(root: string, name: string): string {
  let dir = path.resolve(root, name);
  for (let i = 2; existsSync(dir); i++) dir = path.resolve(root, `${name}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A trial as samplers and pruners see it: lower is better. */
function recordOf(t: SearchTrial, params: TrialParams, sign: number): TrialRecord {
  return {
    number: t.number,
    params,
    state: t.state === "stopped" ? "failed" : t.state,
    value: t.value === undefined ? undefined : sign * t.value,
    intermediate: new Map(t.curve.map(([s, v]) => [s, sign * v])),
  };
}

/**
 * Runs a hyperparameter search over an experiment: every trial is the experiment with the proposed settings,
 * trained in its own folder under the search folder.
 * @param experiment - the base experiment (backbone, data, metrics and every setting not searched)
 * @param options - space, strategy, metric, pruner, budget, seed, folder, signal, callbacks
 * @returns every trial, the best one, and why the search stopped
 * @throws ConfigError for a bad space, metric or budget, before any trial or folder is created
 * @example
 * ```ts
 * const result = await runSearch(exp, {
 *   space: { "training.learning_rate": Space.logUniform(1e-5, 1e-3), "lora.r": [4, 8, 16] },
 *   strategy: "tpe", pruner: "asha", budget: { trials: 12 },
 * });
 * console.log(result.best?.params, result.best?.value);
 * ```
 */
export async function runSearch(experiment: Experiment, options: SearchOptions): Promise<SearchResult> {
  const config = experiment.config;
  const space: SearchSpace = parseSearchSpace(options.space);
  const objective = objectiveOf(options.metric);
  const budget = checkBudget(options.budget);
  const base = settingOf(config);
  const seed = options.seed ?? Math.max(config.environment.seed, 0);
  const sampler = samplerFor(options.strategy, { space, seed, base });
  const pruner = prunerFor(options.pruner);
  const maxTrials = budget.trials ?? (sampler instanceof GridSampler ? sampler.size : 20);
  const sign = objective.direction === "minimize" ? 1 : -1;
  const dir = searchFolder(options.root ?? config.logging.outputDir, options.name ?? "search");
  const trials: SearchTrial[] = [];
  const camelParams: TrialParams[] = [];
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const spentTokens = () => trials.reduce((a, t) => a + t.tokens, 0);
  /** Why the search must stop now (the signal, the seconds or the tokens), with the message a trial records. */
  const budgetSpent = (): { by: "signal" | "seconds" | "tokens"; message: string } | undefined => {
    if (options.signal?.aborted) return { by: "signal", message: "the search was stopped" };
    if (budget.seconds !== undefined && elapsed() >= budget.seconds)
      return { by: "seconds", message: `the search's ${budget.seconds} s budget ran out` };
    if (budget.tokens !== undefined && spentTokens() >= budget.tokens)
      return { by: "tokens", message: `the search's ${budget.tokens}-token budget ran out` };
    return undefined;
  };
  const outOfBudget = (): SearchResult["stoppedBy"] | undefined => {
    const spent = budgetSpent();
    if (spent?.by === "signal") return "signal";
    if (trials.length >= maxTrials) return budget.trials === undefined ? "exhausted" : "trials";
    return spent?.by;
  };
  const save = () =>
    writeJsonAtomic(path.join(dir, "search.json"), {
      version: 1,
      strategy: sampler.name,
      pruner: pruner.name,
      metric: objective,
      budget: { ...budget, trials: maxTrials },
      seed,
      space: options.space,
      trials,
    });
  await save();
  let stoppedBy: SearchResult["stoppedBy"] | undefined = outOfBudget();
  for (; !stoppedBy; stoppedBy = stoppedBy ?? outOfBudget()) {
    const history = trials.map((t, i) => recordOf(t, camelParams[i], sign));
    const params = await sampler.propose(history);
    if (!params) {
      stoppedBy = "exhausted";
      break;
    }
    const trial: SearchTrial = {
      number: trials.length,
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [snakePath(k), v])),
      state: "running",
      curve: [],
      tokens: 0,
      seconds: 0,
      ...("lastProposal" in sampler && sampler.lastProposal ? { proposal: { ...sampler.lastProposal } } : {}),
    };
    trials.push(trial);
    camelParams.push(params);
    await save();
    await options.callbacks?.onTrialStart?.(trial);
    await runTrial(experiment, config, trial, params, {
      dir,
      sign,
      objective,
      pruner,
      history: () => trials.map((t, i) => recordOf(t, camelParams[i], sign)),
      overBudget: () => budgetSpent()?.message,
      onEval: (step, value) => options.callbacks?.onTrialEval?.(trial, step, value),
    });
    await save();
    await options.callbacks?.onTrialEnd?.(trial);
  }
  const complete = trials.filter((t) => t.state === "complete" && t.value !== undefined);
  const best = complete.sort((a, b) => sign * ((a.value as number) - (b.value as number)))[0];
  return { dir, objective, trials, best, stoppedBy };
}

interface TrialContext {
  dir: string;
  sign: number;
  objective: Objective;
  pruner: Pruner;
  history: () => TrialRecord[];
  overBudget: () => string | undefined;
  onEval: (step: number, value: number) => void | Promise<void>;
}

/** Runs one trial to its end, recording its curve, state and reason in `trial`. */
async function runTrial(
  experiment: Experiment,
  config: ExperimentConfig,
  trial: SearchTrial,
  params: TrialParams,
  c: TrialContext,
): Promise<void> {
  const controller = new AbortController();
  const t0 = performance.now();
  let stopReason: { state: "pruned" | "stopped"; reason: string } | undefined;
  const callbacks = {
    onStep: (e: StepEvent) => {
      trial.tokens += e.tokens;
      const over = c.overBudget();
      if (over && !stopReason) {
        stopReason = { state: "stopped", reason: over };
        controller.abort();
      }
    },
    onEval: async (e: EvalEvent) => {
      const value = c.objective.name === "loss" ? e.loss : e.metrics[c.objective.name];
      if (value === undefined || !Number.isFinite(value)) return;
      trial.curve.push([e.step, value]);
      if (trial.value === undefined || c.sign * value < c.sign * trial.value) {
        trial.value = value;
        trial.bestStep = e.step;
      }
      await c.onEval(e.step, value);
      const record = c.history()[trial.number];
      const decision = c.pruner.decide(record, e.step, c.history());
      if (decision.prune && !stopReason) {
        stopReason = { state: "pruned", reason: decision.reason };
        controller.abort();
      }
    },
  };
  try {
    const run = await experiment
      .set({
        ...params,
        "architecture.backbone": config.architecture.backbone,
        "logging.outputDir": c.dir,
        "logging.name": `trial-${String(trial.number).padStart(3, "0")}`,
      })
      .fit({ callbacks: [callbacks], signal: controller.signal, display: false });
    trial.folder = run.store.dir;
    await run.backbone.dispose();
    if (stopReason) Object.assign(trial, stopReason);
    else if (run.result.status === "completed") trial.state = "complete";
    else {
      trial.state = "failed";
      trial.reason = run.result.error?.message ?? `the run ended ${run.result.status}`;
    }
    if (trial.state === "complete" && trial.value === undefined) {
      trial.state = "failed";
      trial.reason = `the run reported no '${c.objective.name}' at its evaluations; set training.evaluation_epochs or add the metric`;
    }
  } catch (e) {
    trial.state = "failed";
    trial.reason = (e as Error).message;
  }
  trial.seconds = (performance.now() - t0) / 1000;
}
