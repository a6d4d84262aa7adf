/**
 * The search loop: proposes settings with the chosen strategy, runs each trial as a normal experiment in the
 * search's folder (in this process, one after another, as onnxruntime already uses every core for one trial;
 * or on queue workers, several at once), prunes at evaluations, stops at the budget, and keeps `search.json`
 * (every trial's settings, state, curve, value and folder) up to date with atomic writes, so a crash loses
 * nothing recorded and the search can be resumed.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../errors";
import type { Experiment, ExperimentConfig } from "../train";
import { writeJsonAtomic } from "../util";
import { AshaPruner } from "./pruners/asha-pruner";
import { MedianPruner } from "./pruners/median-pruner";
import { noPruning, type Pruner } from "./pruners/pruner";
import { QueueExecutor, type TrialJudge } from "./queue/queue-executor";
import { GridSampler } from "./samplers/grid-sampler";
import { RandomSampler } from "./samplers/random-sampler";
import type { Sampler, SamplerContext } from "./samplers/sampler";
import { TpeSampler } from "./samplers/tpe-sampler";
import { checkBudget, type Objective, objectiveOf, type SearchOptions } from "./search-options";
import { checkResume } from "./search-resume";
import { parseSearchSpace, type SearchSpace, snakePath } from "./search-space";
import type { SearchTrial } from "./search-trial";
import type { TrialParams, TrialRecord } from "./trial";
import { type TrialStop, trainTrial, trialName } from "./trial-run";

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

/** The paths a worker on another machine must read, made absolute (they are resolved against this process). */
function withAbsolutePaths(config: ExperimentConfig): Record<string, unknown> {
  const abs = (p: string | null) => (p !== null && existsSync(p) ? path.resolve(p) : p);
  return {
    "architecture.backbone": abs(config.architecture.backbone),
    "architecture.pretrainedWeights": abs(config.architecture.pretrainedWeights),
    "dataset.trainFile": abs(config.dataset.trainFile),
    "dataset.validationFile": abs(config.dataset.validationFile),
  };
}

/** Refuses a queued search whose trials cannot be rebuilt by a worker from their configuration alone. */
function checkQueueable(config: ExperimentConfig): void {
  if (config.dataset.trainFile === null) {
    const message =
      "a search on workers needs its data as files every worker can read (dataset.train_file): a Dataset passed in code does not travel through the queue";
    throw new ConfigError([{ path: ["dataset", "train_file"], message }], { source: "search options" });
  }
}

/**
 * Runs a hyperparameter search over an experiment: every trial is the experiment with the proposed settings,
 * trained in its own folder under the search folder — in this process, or on workers through a job queue
 * (`queue`). `resume` continues a search whose process was killed: its finished trials are kept, the trials
 * that were running continue from their checkpoints, and the next trials follow.
 * @param experiment - the base experiment (backbone, data, metrics and every setting not searched)
 * @param options - space, strategy, metric, pruner, budget, seed, folder, queue, resume, signal, callbacks
 * @returns every trial, the best one, and why the search stopped
 * @throws ConfigError for a bad space, metric or budget, or a resume whose options differ from the search's,
 * before any trial or folder is created; QueueUnreachableError / WorkerVersionError for a queue that cannot be used
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
  if (options.queue) checkQueueable(config);
  const earlier = options.resume
    ? checkResume(options.resume, { strategy: sampler.name, seed, space: options.space })
    : undefined;
  const queue = options.queue ? await QueueExecutor.open(options.queue) : undefined;
  const dir =
    earlier?.dir ?? searchFolder(options.root ?? config.logging.outputDir, options.name ?? "search");
  const id = earlier?.id ?? randomBytes(6).toString("hex");
  const trials: SearchTrial[] = earlier?.trials ?? [];
  const camelOf = new Map(space.dimensions.map((d) => [snakePath(d.path), d.path]));
  const camelParams: TrialParams[] = trials.map((t) =>
    Object.fromEntries(Object.entries(t.params).map(([k, v]) => [camelOf.get(k) ?? k, v])),
  ) as TrialParams[];
  const history = () => trials.map((t, i) => recordOf(t, camelParams[i], sign));
  if (typeof options.strategy !== "function") {
    // Built-in strategies are replayed over the trials so far, so their seeded choices continue where they were.
    for (let i = 0; i < trials.length; i++) await sampler.propose(history().slice(0, i));
  }
  const started = performance.now() - (earlier?.elapsedSeconds ?? 0) * 1000;
  const elapsed = () => (performance.now() - started) / 1000;
  const spentTokens = () => trials.reduce((a, t) => a + t.tokens, 0);
  /** Why every running trial must stop now (the signal, the seconds or the tokens). */
  const budgetSpent = (): (TrialStop & { by: "signal" | "seconds" | "tokens" }) | undefined => {
    const stopped = (by: "signal" | "seconds" | "tokens", reason: string) => ({
      state: "stopped" as const,
      by,
      reason,
    });
    if (options.signal?.aborted) return stopped("signal", "the search was stopped");
    if (budget.seconds !== undefined && elapsed() >= budget.seconds)
      return stopped("seconds", `the search's ${budget.seconds} s budget ran out`);
    if (budget.tokens !== undefined && spentTokens() >= budget.tokens)
      return stopped("tokens", `the search's ${budget.tokens}-token budget ran out`);
    return undefined;
  };
  const outOfBudget = (): SearchResult["stoppedBy"] | undefined => {
    const spent = budgetSpent();
    if (spent?.by === "signal") return "signal";
    if (trials.length >= maxTrials) return budget.trials === undefined ? "exhausted" : "trials";
    return spent?.by;
  };
  let saving = Promise.resolve();
  const save = () => {
    const record = {
      version: 1,
      id,
      strategy: sampler.name,
      pruner: pruner.name,
      metric: objective,
      budget: { ...budget, trials: maxTrials },
      seed,
      space: options.space,
      ...(options.queue ? { queue: { url: options.queue.url, name: queue?.name } } : {}),
      elapsedSeconds: elapsed(),
      trials,
    };
    saving = saving.then(() => writeJsonAtomic(path.join(dir, "search.json"), record));
    return saving;
  };
  const judge = (trial: SearchTrial) => ({
    onEval: (step: number, value: number) => options.callbacks?.onTrialEval?.(trial, step, value),
    decide: (step: number): TrialStop | undefined => {
      const d = pruner.decide(history()[trial.number], step, history());
      return d.prune ? { state: "pruned", reason: d.reason } : undefined;
    },
    overBudget: () => budgetSpent(),
  });
  const execute = async (trial: SearchTrial, params: TrialParams): Promise<void> => {
    await options.callbacks?.onTrialStart?.(trial);
    const trialExp = experiment.set({
      ...params,
      // On workers, paths must mean the same file everywhere; in process they stay as written.
      ...(queue ? withAbsolutePaths(config) : { "architecture.backbone": config.architecture.backbone }),
      "logging.outputDir": dir,
      "logging.name": trialName(trial.number),
    });
    const t0 = performance.now() - trial.seconds * 1000;
    try {
      if (queue) await queue.run(id, dir, trial, trialExp.config, objective, judge(trial));
      else await runInProcess(trialExp, dir, trial, objective, judge(trial));
    } catch (e) {
      trial.state = "failed";
      trial.reason = (e as Error).message;
    }
    if (!queue) trial.seconds = (performance.now() - t0) / 1000;
    await save();
    await options.callbacks?.onTrialEnd?.(trial);
  };
  const concurrency = queue?.concurrency ?? 1;
  const running = new Map<number, Promise<number>>();
  const start = (trial: SearchTrial) =>
    running.set(
      trial.number,
      execute(trial, camelParams[trial.number]).then(() => trial.number),
    );
  let stoppedBy: SearchResult["stoppedBy"] | undefined;
  try {
    await save();
    for (const t of trials) if (t.state === "running") start(t);
    for (;;) {
      while (running.size < concurrency && !stoppedBy) {
        stoppedBy = outOfBudget();
        if (stoppedBy) break;
        const params = await sampler.propose(history());
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
          ...("lastProposal" in sampler && sampler.lastProposal
            ? { proposal: { ...sampler.lastProposal } }
            : {}),
        };
        trials.push(trial);
        camelParams.push(params);
        await save();
        start(trial);
      }
      if (running.size === 0) break;
      running.delete(await Promise.race(running.values()));
    }
  } finally {
    await queue?.close();
  }
  const complete = trials.filter((t) => t.state === "complete" && t.value !== undefined);
  const best = complete.sort((a, b) => sign * ((a.value as number) - (b.value as number)))[0];
  return { dir, objective, trials, best, stoppedBy: stoppedBy ?? outOfBudget() ?? "exhausted" };
}

/** Runs one trial in this process (continuing it from its checkpoint when an earlier attempt left one). */
async function runInProcess(
  experiment: Experiment,
  dir: string,
  trial: SearchTrial,
  objective: Objective,
  judge: TrialJudge,
): Promise<void> {
  const outcome = await trainTrial(experiment, {
    dir,
    name: trialName(trial.number),
    objective,
    progress: trial,
    hooks: {
      afterStep: () => judge.overBudget(),
      afterEval: async (_p, step, value) => {
        await judge.onEval(step, value);
        return judge.decide(step);
      },
    },
  });
  trial.state = outcome.state;
  trial.reason = outcome.reason;
  trial.folder = outcome.folder;
}
