/**
 * `Experiment`: the fluent way to describe and run a fine-tuning experiment. Every builder method returns a
 * new `Experiment`; the settings become one validated `ExperimentConfig` (the same schema YAML files and the
 * CLI use), checked before any work starts. `fit()` creates the experiment folder, trains, and returns a
 * {@link Run}; `Experiment.resume(dir)` continues a run from a checkpoint, with the settings it was trained with.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Dataset } from "../../data";
import { ConfigError, type ConfigIssue } from "../../errors";
import type { Backbone } from "../../models";
import {
  configToPlain,
  type ExperimentConfig,
  loadConfigFile,
  type ProblemTypeName,
  parseExperimentConfig,
  resolveSettingPath,
  saveConfigFile,
} from "../config";
import { dispatchEvent, type TrainCallbacks } from "../events";
import { LoRAConfig, type LoRAConfigOptions } from "../lora-config";
import { type ExperimentPlan, planExperiment, planLine } from "../plan";
import { problemType, splitScoreHead } from "../problems";
import { runDefaults } from "../run-defaults";
import {
  type CheckpointFiles,
  currentProcess,
  ExperimentStore,
  type RunLock,
  storeCallbacks,
} from "../store";
import {
  type ProblemData,
  type ProblemFunctions,
  type RewardFunction,
  type RunMetric,
  readCheckpoint,
  type TrainCheckpoint,
  type TrainLoopOptions,
  trainLoop,
} from "../trainer";
import { dataFingerprint } from "./data-fingerprint";
import { refuseOverMemory } from "./memory-check";
import {
  describeChanges,
  type PlanResumeOptions,
  planResume,
  type ResumeOptions,
  type ResumePlan,
  refuseDataChange,
} from "./resume-plan";
import { Run } from "./run";
import { backboneForTraining, checkDataFiles, prepareRunData, trainingTokenizer } from "./run-inputs";
import { isSupported, refuseUnsupported } from "./unsupported-settings";
import { configuredMetrics, generatedMetricsHook } from "./validation-metrics";
import { readWarmStart, withWarmStartLora } from "./warm-start";

type Groups = ExperimentConfig;
/** Settings of one group as a user writes them (every field optional). */
type GroupInput<K extends keyof Groups> = Partial<Groups[K]>;

/** Options of {@link Experiment.fit} and {@link Experiment.resume}. */
export interface FitOptions {
  /** Subscribers to the run's events (in addition to the experiment folder's own recorder). */
  callbacks?: TrainCallbacks[];
  /** Stops the run after the current step, with a checkpoint. */
  signal?: AbortSignal;
  /** Add the environment's default display (e.g. the notebook's live view); default true. */
  display?: boolean;
}

interface State {
  input: Record<string, Record<string, unknown>>;
  backbone?: Backbone;
  dataset?: Dataset;
  metrics: readonly RunMetric[];
  /** Code the problem type takes (GRPO's reward functions). */
  functions?: ProblemFunctions;
}

/** Options of `Experiment.problem("grpo", …)`: the reward functions and any `grpo` settings. */
export type GrpoProblemOptions = { rewards?: readonly RewardFunction[] } & Partial<ExperimentConfig["grpo"]>;

/** A fine-tuning experiment under construction. */
export class Experiment {
  private constructor(private readonly state: State) {}

  /**
   * Starts describing an experiment.
   * @param options - `name` (folder name prefix) and `root` (folder of experiment folders, default `./experiments`)
   * @returns an experiment with default settings
   * @example
   * ```ts
   * const exp = Experiment.create({ name: "capitals" }).backbone(backbone).dataset(data);
   * ```
   */
  static create(options: { name?: string; root?: string } = {}): Experiment {
    const logging: Record<string, unknown> = {};
    if (options.name !== undefined) logging.name = options.name;
    if (options.root !== undefined) logging.outputDir = options.root;
    return new Experiment({ input: { logging }, metrics: [] });
  }

  /**
   * An experiment from a configuration object (camelCase or snake_case keys) or a YAML/JSON file.
   * @param config - the configuration, or the path of its file
   * @returns the experiment (validated when it runs, or by {@link config})
   * @throws ConfigError for an unreadable or invalid file
   * @example
   * ```ts
   * const run = await Experiment.fromConfig("exp.yaml").fit();
   * ```
   */
  static fromConfig(config: string | Record<string, unknown>): Experiment {
    const parsed = typeof config === "string" ? loadConfigFile(config) : parseExperimentConfig(config);
    return new Experiment({ input: structuredClone(parsed) as unknown as State["input"], metrics: [] });
  }

  private with(change: Partial<State>): Experiment {
    return new Experiment({ ...this.state, ...change });
  }

  private group<K extends keyof Groups>(key: K, values: GroupInput<K>): Experiment {
    const input = { ...this.state.input, [key]: { ...this.state.input[key], ...values } };
    return this.with({ input });
  }

  /**
   * Sets the model: a loaded backbone, or a model directory / hub id loaded when the run starts, and,
   * optionally, other fields of the `architecture` group, such as `pretrainedWeights` (start from another
   * experiment, one of its checkpoints, or a PEFT adapter instead of fresh adapters).
   * @param model - the backbone or where to load it from
   * @param settings - architecture settings besides the backbone
   * @returns a new experiment
   * @example
   * ```ts
   * exp.backbone(await Backbone.load("assets/tiny-llama"), { pretrainedWeights: "experiments/first-run" });
   * ```
   */
  backbone(
    model: Backbone | string,
    settings: Omit<GroupInput<"architecture">, "backbone"> = {},
  ): Experiment {
    const dir = typeof model === "string" ? model : model.modelDir.dir;
    // A loaded backbone brings its dtype (backbone_dtype), unless the settings say otherwise.
    const dtype = typeof model === "string" ? {} : { backboneDtype: model.dtype };
    const next = this.group("architecture", { ...dtype, ...settings, backbone: dir });
    return typeof model === "string" ? next : next.with({ backbone: model });
  }

  /**
   * Sets the training data (with its column mapping and validation set) and, optionally, how it is
   * formatted (fields of the `dataset` group such as `useChatTemplate` or `maskPromptLabels`).
   * @param data - the dataset
   * @param settings - formatting settings
   * @returns a new experiment
   * @example
   * ```ts
   * exp.dataset(data.columns({ prompt: "q", answer: "a" }).validation({ size: 0.1 }), { useChatTemplate: true });
   * ```
   */
  dataset(data: Dataset, settings: GroupInput<"dataset"> = {}): Experiment {
    return this.group("dataset", settings).with({ dataset: data });
  }

  /**
   * Sets the LoRA adapters, or `false` for full fine-tuning of every weight.
   * @param config - a {@link LoRAConfig}, its options, or `false`
   * @returns a new experiment
   * @example
   * ```ts
   * exp.lora(new LoRAConfig({ r: 8, alpha: 16, targetModules: ["q_proj", "v_proj"] }));
   * ```
   */
  lora(config: LoRAConfig | LoRAConfigOptions | false): Experiment {
    if (config === false) return this.group("lora", { enabled: false });
    const c = config instanceof LoRAConfig ? config : new LoRAConfig(config);
    return this.group("lora", {
      enabled: true,
      r: c.r,
      alpha: c.alpha,
      dropout: c.dropout,
      targetModules: c.targetModules as Groups["lora"]["targetModules"],
      useRslora: c.useRslora,
      useDora: c.useDora,
    });
  }

  /**
   * Sets training settings (epochs, batch size, learning rate, schedule, evaluation interval…).
   * @param settings - fields of the `training` group
   * @returns a new experiment
   * @example
   * ```ts
   * exp.train({ epochs: 3, learningRate: 2e-4, batchSize: 8, schedule: "cosine", warmupEpochs: 0.1 });
   * ```
   */
  train(settings: GroupInput<"training">): Experiment {
    return this.group("training", settings);
  }

  /**
   * Sets tokenizer settings (e.g. `maxLength`).
   * @param settings - fields of the `tokenizer` group
   * @returns a new experiment
   * @example
   * ```ts
   * exp.tokenizer({ maxLength: 256 });
   * ```
   */
  tokenizer(settings: GroupInput<"tokenizer">): Experiment {
    return this.group("tokenizer", settings);
  }

  /**
   * Sets prediction settings (generation for evaluation: `maxNewTokens`, `temperature`, `stopTokens`…).
   * @param settings - fields of the `prediction` group
   * @returns a new experiment
   * @example
   * ```ts
   * exp.prediction({ maxNewTokens: 32 });
   * ```
   */
  prediction(settings: GroupInput<"prediction">): Experiment {
    return this.group("prediction", settings);
  }

  /**
   * Sets environment settings (device, threads, seed).
   * @param settings - fields of the `environment` group
   * @returns a new experiment
   * @example
   * ```ts
   * exp.environment({ seed: 7, threads: 2 });
   * ```
   */
  environment(settings: GroupInput<"environment">): Experiment {
    return this.group("environment", settings);
  }

  /**
   * Sets logging settings (`outputDir`, `name`, `logEveryNSteps`).
   * @param settings - fields of the `logging` group
   * @returns a new experiment
   * @example
   * ```ts
   * exp.logging({ logEveryNSteps: 1 });
   * ```
   */
  logging(settings: GroupInput<"logging">): Experiment {
    return this.group("logging", settings);
  }

  /**
   * Sets the validation metrics; the first picks the best checkpoint.
   * @param metrics - e.g. `Metrics.perplexity()`
   * @returns a new experiment
   * @example
   * ```ts
   * exp.metrics(Metrics.perplexity());
   * ```
   */
  metrics(...metrics: RunMetric[]): Experiment {
    return this.with({ metrics });
  }

  /**
   * Chooses what the run learns (`problem_type`; see docs/problem-types.md). The default is `causal_lm`. GRPO
   * takes its reward functions here, with any of its settings (the `grpo` group); the other problem types take
   * their settings by dotted path, as {@link set} does.
   * @param name - a problem type, e.g. `"causal_lm"`, `"causal_classification"`, `"causal_regression"`, `"grpo"`
   * @param options - for `grpo`: `rewards` (functions `(completion, row) => number`, async allowed) and `grpo`
   *   settings such as `numGenerations`; for the others, settings such as `"dataset.num_classes"`,
   *   `"dataset.answer_column"`, `"training.loss_function"`
   * @returns a new experiment
   * @throws ConfigError for an unknown setting
   * @example
   * ```ts
   * const exp = Experiment.create({ name: "qa" }).problem("causal_lm");
   * const rl = Experiment.create({ name: "short" }).problem("grpo", {
   *   rewards: [(completion) => (completion.length < 20 ? 1 : 0)],
   *   numGenerations: 4,
   * });
   * const cls = Experiment.create({ name: "sentiment" })
   *   .problem("causal_classification", { "dataset.answer_column": "label", "dataset.num_classes": 3 });
   * ```
   */
  problem(name: "grpo", options?: GrpoProblemOptions): Experiment;
  problem(name: ProblemTypeName, settings?: Record<string, unknown>): Experiment;
  problem(name: ProblemTypeName, options: GrpoProblemOptions | Record<string, unknown> = {}): Experiment {
    if (name !== "grpo") return this.set({ problem_type: name, ...options });
    const { rewards, ...settings } = options as GrpoProblemOptions;
    const next = this.set({ problem_type: name });
    const withSettings = Object.keys(settings).length ? next.group("grpo", settings) : next;
    return rewards ? withSettings.with({ functions: { ...this.state.functions, rewards } }) : withSettings;
  }

  /**
   * Sets any settings by dotted path, in either spelling, as `tunebook train --set` does (the data and metrics
   * are kept, and a loaded backbone unless `architecture.backbone` is set); values are checked when the
   * experiment runs or by {@link config}.
   * @param settings - e.g. `{ "training.learning_rate": 1e-4, "lora.r": 16 }`
   * @returns a new experiment
   * @throws ConfigError naming an unknown setting (with a suggestion) or a whole settings group
   * @example
   * ```ts
   * const trial = exp.set({ "training.learning_rate": 3e-4, "lora.r": 16 });
   * ```
   */
  set(settings: Readonly<Record<string, unknown>>): Experiment {
    const input: Record<string, Record<string, unknown>> = { ...this.state.input };
    const issues: ConfigIssue[] = [];
    for (const [key, value] of Object.entries(settings)) {
      const resolved = resolveSettingPath(key);
      if ("issue" in resolved) {
        issues.push(resolved.issue);
        continue;
      }
      const [group, ...rest] = resolved.path;
      if (rest.length === 0) {
        // A top-level setting (`problem_type`).
        (input as Record<string, unknown>)[group] = value;
        continue;
      }
      const copy: Record<string, unknown> = structuredClone(input[group] ?? {});
      let node = copy;
      for (const part of rest.slice(0, -1)) {
        if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
        node = node[part] as Record<string, unknown>;
      }
      node[rest[rest.length - 1]] = value;
      input[group] = copy;
    }
    if (issues.length) throw new ConfigError(issues, { source: "Experiment.set" });
    // A new backbone path replaces a loaded backbone (it is loaded from that path when the run starts).
    const newBackbone = Object.keys(settings).some((k) => {
      const r = resolveSettingPath(k);
      return "path" in r && r.path.join(".") === "architecture.backbone";
    });
    return this.with(newBackbone ? { input, backbone: undefined } : { input });
  }

  /**
   * The complete, validated configuration.
   * @returns the configuration with every default filled in
   * @throws ConfigError naming every invalid field, its value and the allowed range
   * @example
   * ```ts
   * console.log(exp.config.training.learningRate);
   * ```
   */
  get config(): ExperimentConfig {
    return parseExperimentConfig(this.state.input, { keyStyle: "camel", source: "Experiment" });
  }

  /**
   * Predicts the run's peak memory and step time on this machine, from the model's config.json and the settings
   * alone (nothing is loaded): the components of the peak, the memory available, and, when it does not fit, the
   * settings that would. `fit()` makes the same plan and refuses a run that does not fit.
   * @returns the plan (print it with `formatPlan`)
   * @throws ConfigError for invalid settings; ModelDirError / HubError when the model's config.json cannot be read
   * @example
   * ```ts
   * const plan = await exp.plan();
   * console.log(formatPlan(plan), plan.fits);
   * ```
   */
  async plan(): Promise<ExperimentPlan> {
    return planExperiment(this.config, { backbone: this.state.backbone, supported: isSupported });
  }

  /**
   * Trains: checks the settings and reads and tokenizes the data, then creates the experiment folder, writes
   * config.yaml, runs the loop, records metrics and checkpoints. A problem found before the first step (bad
   * settings, a plan that does not fit in the memory available, an unreadable data file, a missing column, a
   * model that does not load, a loop that fails before its first step) throws and leaves no folder behind (a folder holding a checkpoint stays, marked `failed`);
   * later failures end the run with status `failed` (the error is on the returned run).
   * @param options - extra subscribers, an AbortSignal, whether to add the environment's display
   * @returns the run
   * @throws ConfigError for invalid settings or a missing data file; ExperimentSetupError when the backbone or
   * data is missing or the plan does not fit in memory (see {@link plan}); the data's or model's error when
   * either cannot be read
   * @example
   * ```ts
   * const run = await exp.fit({ signal: AbortSignal.timeout(60_000) });
   * ```
   */
  async fit(options: FitOptions = {}): Promise<Run> {
    const config = this.config;
    const seed =
      config.training.seed ?? (config.environment.seed >= 0 ? config.environment.seed : randomSeed());
    let resolved = { ...config, training: { ...config.training, seed } };
    refuseUnsupported(resolved);
    if (!this.state.dataset) checkDataFiles(resolved, "Experiment");
    const warm = resolved.architecture.pretrainedWeights
      ? await readWarmStart(resolved.architecture.pretrainedWeights)
      : undefined;
    const adopted = warm ? withWarmStartLora(resolved, warm) : undefined;
    if (adopted) resolved = adopted.config;
    const plan = await planExperiment(resolved, { backbone: this.state.backbone, supported: isSupported });
    refuseOverMemory(plan);
    const backbone = await backboneForTraining(resolved, seed, this.state.backbone);
    const owned = backbone !== this.state.backbone;
    try {
      if (warm) await backbone.updateParameters(warm.values);
      const warnings: string[] = [];
      const prepared = await prepareRunData(
        resolved,
        trainingTokenizer(backbone),
        this.state.dataset,
        (m) => warnings.push(m),
        this.state.functions,
      );
      const store = await ExperimentStore.create({
        root: resolved.logging.outputDir,
        name: resolved.logging.name,
        config: resolved,
      });
      let lock: RunLock | undefined;
      try {
        lock = store.lock();
        // From here a kill leaves a record of whose run it was: listed as interrupted once that process is gone.
        await store.writeStatus("created", currentProcess());
        if (adopted?.adopted.length) {
          store.appendLog(
            `warm start: LoRA settings taken from ${warm?.source}: ${adopted.adopted.join(", ")}`,
          );
        }
        const record = {
          config: configToPlain(resolved),
          dataFingerprint: dataFingerprint(prepared.train.tokens),
        };
        const run = await execute(
          {
            config: resolved,
            backbone,
            prepared,
            store,
            metrics: this.state.metrics,
            record,
            warnings,
            plan,
          },
          options,
        );
        if (run.status === "failed" && run.step === 0) {
          throw run.error ?? new Error("the run failed before its first step");
        }
        return run;
      } catch (error) {
        await discardUnstarted(store, error as Error);
        throw error;
      } finally {
        lock?.release();
      }
    } catch (error) {
      if (owned) await backbone.dispose();
      throw error;
    }
  }

  /**
   * Continues one of this experiment's folders from its last checkpoint with this experiment's data and metrics
   * (what {@link Experiment.resume} does, for an experiment whose dataset was passed in code).
   * @param dir - an experiment folder this experiment (or one made from it with {@link set}) created
   * @param options - subscribers, signal, display
   * @returns the run
   * @throws the errors of {@link Experiment.resume}
   * @example
   * ```ts
   * const run = await exp.resumeFolder("experiments/capitals-20261123-101500", { display: false });
   * ```
   */
  resumeFolder(dir: string, options: FitOptions = {}): Promise<Run> {
    return Experiment.resume(dir, {
      ...options,
      dataset: this.state.dataset,
      backbone: this.state.backbone,
      metrics: [...this.state.metrics],
    });
  }

  /**
   * Checks a resume without running it: the checkpoint it would continue from, the configuration it would run
   * (config.yaml plus `overrides`) and the settings that changed since the checkpoint.
   * @param dir - the experiment folder
   * @param options - `checkpoint` (`last` or `best`), `overrides` (`key=value`, as `tunebook train --set`),
   * `checkData` (also read and tokenize the training data and check it is the checkpoint's), `dataset`
   * @returns the plan (print it with `formatResumePlan`)
   * @throws ResumeSettingsError naming each setting that changed and may not; the errors of {@link resume}'s checks
   * @example
   * ```ts
   * const plan = await Experiment.planResume("experiments/capitals-20261123-101500");
   * console.log(plan.state.step, plan.honoured);
   * ```
   */
  static planResume(dir: string, options: PlanResumeOptions = {}): Promise<ResumePlan> {
    return planResume(dir, options);
  }

  /**
   * Continues an experiment from a checkpoint (optimizer state, schedule position, data order and dropout
   * seeds), so the result equals an uninterrupted run's. The run must train with the settings and data the
   * checkpoint was trained with: settings that do not change the trained values (evaluation and checkpoint
   * cadence, logging, prediction settings, threads, and the number of epochs of a constant schedule) may differ
   * and are honoured and recorded in config.yaml and logs.txt; any other difference is refused. Only one
   * process trains a folder at a time (`run.lock`).
   * @param dir - the experiment folder
   * @param options - `checkpoint` (`last`, default, or `best`), `overrides` (`key=value` strings), the dataset
   * when the config names no training file, the backbone, the metrics, subscribers, signal
   * @returns the run
   * @throws ExperimentNotFoundError / CheckpointError when there is nothing to resume; ResumeSettingsError when
   * a setting or the training data differs from the checkpoint's; ExperimentLockedError when another live process
   * trains the folder
   * @example
   * ```ts
   * const run = await Experiment.resume("experiments/capitals-20261123-101500");
   * ```
   */
  static async resume(
    dir: string,
    options: FitOptions &
      ResumeOptions & {
        dataset?: Dataset;
        backbone?: Backbone;
        metrics?: RunMetric[];
        /** Code the problem type takes (GRPO's reward functions), as given to `Experiment.problem`. */
        functions?: ProblemFunctions;
      } = {},
  ): Promise<Run> {
    const store = ExperimentStore.open(dir);
    const lock = store.lock();
    try {
      const plan = await planResume(dir, options);
      const { config } = plan;
      const checkpointDir = store.path("checkpoints", plan.checkpoint);
      const checkpoint = await readCheckpoint(checkpointDir);
      const memory = await planExperiment(config, { backbone: options.backbone, supported: isSupported });
      refuseOverMemory(memory);
      const backbone = await backboneForTraining(config, checkpoint.state.seed, options.backbone);
      try {
        const warnings: string[] = [];
        const prepared = await prepareRunData(
          config,
          trainingTokenizer(backbone),
          options.dataset,
          (m) => warnings.push(m),
          options.functions,
        );
        const fingerprint = refuseDataChange(plan, prepared.train.tokens);
        await recordResume(store, plan, checkpointDir);
        const metrics = options.metrics ?? [];
        const record = { config: configToPlain(config), dataFingerprint: fingerprint };
        return await execute(
          { config, backbone, prepared, store, metrics, resume: checkpoint, record, warnings, plan: memory },
          options,
        );
      } catch (error) {
        if (backbone !== options.backbone) await backbone.dispose();
        throw error;
      }
    } catch (error) {
      store.appendLog(`resume failed: ${(error as Error).message}`, "error");
      throw error;
    } finally {
      lock.release();
    }
  }
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * Records in the folder what a resume does, once every check has passed: metrics after the checkpoint are
 * dropped (the run records them again), honoured setting changes go to config.yaml and logs.txt, and a resume
 * from `best` makes `last` that checkpoint too (the steps after it are abandoned).
 */
async function recordResume(store: ExperimentStore, plan: ResumePlan, checkpointDir: string): Promise<void> {
  const step = plan.state.step;
  if (plan.checkpoint !== "last") {
    await store.writeCheckpoint("last", readCheckpointFolder(checkpointDir));
  }
  await store.truncateMetrics(step);
  store.appendLog(`resuming from checkpoints/${plan.checkpoint} at step ${step}`);
  if (!plan.checked) {
    store.appendLog(
      "the checkpoint does not record the settings it was trained with; config.yaml is taken as them",
      "warn",
    );
  }
  if (plan.honoured.length) {
    await saveConfigFile(store.path("config.yaml"), plan.config);
    for (const line of describeChanges(plan.honoured)) store.appendLog(`setting changed on resume: ${line}`);
  }
}

/** The files of a checkpoint folder, for copying it. */
function readCheckpointFolder(dir: string, files: CheckpointFiles = {}, root = dir): CheckpointFiles {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) readCheckpointFolder(full, files, root);
    else if (entry.isFile()) files[path.relative(root, full)] = fs.readFileSync(full);
  }
  return files;
}

/**
 * A new experiment that failed before its first step leaves nothing behind: its folder is removed, unless it
 * holds a checkpoint (then it stays, with status `failed`).
 */
async function discardUnstarted(store: ExperimentStore, error: Error): Promise<void> {
  const checkpoints = fs.existsSync(store.path("checkpoints"))
    ? fs.readdirSync(store.path("checkpoints"))
    : [];
  const stepped = store.readMetrics().some((r) => r.type === "step");
  if (checkpoints.length === 0 && !stepped) {
    fs.rmSync(store.dir, { recursive: true, force: true });
    return;
  }
  await store.writeStatus("failed", { error: error.message });
}

async function execute(
  run: {
    config: ExperimentConfig;
    backbone: Backbone;
    prepared: { train: ProblemData; validation?: ProblemData };
    store: ExperimentStore;
    metrics: readonly RunMetric[];
    resume?: TrainCheckpoint;
    record: TrainLoopOptions["record"];
    /** Warnings from reading and tokenizing the data, shown as `log` events once the run starts. */
    warnings?: readonly string[];
    /** The run's memory and time plan, announced as the first `log` event. */
    plan?: ExperimentPlan;
  },
  options: FitOptions,
): Promise<Run> {
  const { config, backbone, store, prepared } = run;
  const defaults = options.display === false ? {} : runDefaults();
  const callbacks = [
    storeCallbacks(store, { logEveryNSteps: config.logging.logEveryNSteps }),
    ...(defaults.callbacks ?? []),
    ...(options.callbacks ?? []),
  ];
  if (run.plan) await dispatchEvent(callbacks, { type: "log", level: "info", message: planLine(run.plan) });
  // Data warnings (truncated or dropped rows) are log events, so the CLI and the notebook view show them too.
  for (const message of run.warnings ?? [])
    await dispatchEvent(callbacks, { type: "log", level: "warn", message });
  // Load notes (a quantized-weights cache built or rebuilt) are info lines.
  for (const message of backbone.notes)
    await dispatchEvent(callbacks, { type: "log", level: "info", message });
  const metrics = run.metrics.length ? run.metrics : configuredMetrics(config);
  const validation = prepared.validation;
  const result = await trainLoop({
    backbone,
    problem: problemType(config.problemType),
    config,
    trainBase: !config.lora.enabled,
    gradientCheckpointing: config.architecture.gradientCheckpointing,
    train: prepared.train,
    validation,
    training: config.training,
    augmentation: config.augmentation,
    seed: run.resume?.state.seed ?? (config.training.seed as number),
    metrics,
    evaluateGenerated:
      validation && generatedMetricsHook({ backbone, validation: validation.tokens, config, store }),
    store,
    callbacks,
    signal: options.signal ?? defaults.signal,
    resume: run.resume,
    record: run.record,
  });
  // A scores head is the run's own tensor, not a backbone weight.
  const trained = splitScoreHead(result.params);
  if (result.step > 0 && result.status !== "failed")
    await backbone.updateParameters(new Map(Object.entries(trained.backbone)));
  return new Run(store, config, backbone, result, validation?.tokens, metrics, trained.head);
}
