/**
 * `Experiment`: the fluent way to describe and run a fine-tuning experiment. Every builder method returns a
 * new `Experiment`; the settings become one validated `ExperimentConfig` (the same schema YAML files and the
 * CLI use), checked before any work starts. `fit()` creates the experiment folder, trains, and returns a
 * {@link Run}; `Experiment.resume(dir)` continues a run from its last checkpoint.
 */
import type { Dataset } from "../../data";
import type { Backbone } from "../../models";
import { type ExperimentConfig, loadConfigFile, parseExperimentConfig } from "../config";
import type { TrainCallbacks } from "../events";
import { LoRAConfig, type LoRAConfigOptions } from "../lora-config";
import { runDefaults } from "../run-defaults";
import { ExperimentStore, storeCallbacks } from "../store";
import { type RunMetric, readCheckpoint, type TrainCheckpoint, trainLoop } from "../trainer";
import { ExperimentSetupError } from "./experiment-setup-error";
import { Run } from "./run";
import { backboneForTraining, datasetFromConfig, sampledAsConfigured, tokenizeOptions } from "./run-inputs";
import { openExperiment } from "./trained-model";
import { refuseUnsupported } from "./unsupported-settings";
import { configuredMetrics, generatedMetricsHook } from "./validation-metrics";
import { warmStartValues } from "./warm-start";

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
}

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
    const next = this.group("architecture", { ...settings, backbone: dir });
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
   * Trains: creates the experiment folder, writes config.yaml, runs the loop, records metrics and checkpoints.
   * Failures inside the loop end the run with status `failed` (the error is on the returned run).
   * @param options - extra subscribers, an AbortSignal, whether to add the environment's display
   * @returns the run
   * @throws ConfigError for invalid settings; ExperimentSetupError when the backbone or data is missing
   * @example
   * ```ts
   * const run = await exp.fit({ signal: AbortSignal.timeout(60_000) });
   * ```
   */
  async fit(options: FitOptions = {}): Promise<Run> {
    const config = this.config;
    const seed =
      config.training.seed ?? (config.environment.seed >= 0 ? config.environment.seed : randomSeed());
    const resolved = { ...config, training: { ...config.training, seed } };
    refuseUnsupported(resolved);
    const backbone = await backboneForTraining(resolved, seed, this.state.backbone);
    if (resolved.architecture.pretrainedWeights) {
      await backbone.updateParameters(await warmStartValues(resolved.architecture.pretrainedWeights));
    }
    const store = await ExperimentStore.create({
      root: resolved.logging.outputDir,
      name: resolved.logging.name,
      config: resolved,
    });
    return execute(
      { config: resolved, backbone, data: this.state.dataset, store, metrics: this.state.metrics },
      options,
    );
  }

  /**
   * Continues an experiment from its last checkpoint (optimizer state, schedule position, data order and
   * dropout seeds), so the result equals an uninterrupted run's.
   * @param dir - the experiment folder
   * @param options - the dataset when the config names no training file, the metrics, subscribers, signal
   * @returns the run
   * @throws ExperimentNotFoundError / CheckpointError when there is nothing to resume
   * @example
   * ```ts
   * const run = await Experiment.resume("experiments/capitals-20261123-101500");
   * ```
   */
  static async resume(
    dir: string,
    options: FitOptions & { dataset?: Dataset; backbone?: Backbone; metrics?: RunMetric[] } = {},
  ): Promise<Run> {
    const { store, config } = openExperiment(dir);
    refuseUnsupported(config);
    const checkpoint = await readCheckpoint(store.path("checkpoints", "last"));
    await store.truncateMetrics(checkpoint.state.step);
    const backbone = await backboneForTraining(config, checkpoint.state.seed, options.backbone);
    store.appendLog(`resuming from step ${checkpoint.state.step}`);
    const metrics = options.metrics ?? [];
    return execute({ config, backbone, data: options.dataset, store, metrics, resume: checkpoint }, options);
  }
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

async function execute(
  run: {
    config: ExperimentConfig;
    backbone: Backbone;
    data?: Dataset;
    store: ExperimentStore;
    metrics: readonly RunMetric[];
    resume?: TrainCheckpoint;
  },
  options: FitOptions,
): Promise<Run> {
  try {
    return await executeInFolder(run, options);
  } catch (error) {
    await run.store.writeStatus("failed", { error: (error as Error).message });
    throw error;
  }
}

async function executeInFolder(run: Parameters<typeof execute>[0], options: FitOptions): Promise<Run> {
  const { config, backbone, store } = run;
  const tokenizer = backbone.modelDir.tokenizer;
  if (!tokenizer) {
    throw new ExperimentSetupError(
      `the backbone at ${backbone.modelDir.dir} has no tokenizer`,
      "Load it with a tokenizer.json beside the weights.",
    );
  }
  const data = run.data ? sampledAsConfigured(run.data, config) : await datasetFromConfig(config);
  const prepared = await data.prepare({
    tokenizer,
    ...tokenizeOptions(config),
    onWarning: (w) => store.appendLog(w.message, "warn"),
  });
  const defaults = options.display === false ? {} : runDefaults();
  const callbacks = [
    storeCallbacks(store, { logEveryNSteps: config.logging.logEveryNSteps }),
    ...(defaults.callbacks ?? []),
    ...(options.callbacks ?? []),
  ];
  const metrics = run.metrics.length ? run.metrics : configuredMetrics(config);
  const validation = prepared.validation;
  const result = await trainLoop({
    backbone,
    trainBase: !config.lora.enabled,
    train: prepared.train,
    validation,
    training: config.training,
    augmentation: config.augmentation,
    seed: run.resume?.state.seed ?? (config.training.seed as number),
    metrics,
    evaluateGenerated: validation && generatedMetricsHook({ backbone, validation, config, store }),
    store,
    callbacks,
    signal: options.signal ?? defaults.signal,
    resume: run.resume,
  });
  if (result.step > 0 && result.status !== "failed")
    await backbone.updateParameters(new Map(Object.entries(result.params)));
  return new Run(store, config, backbone, result, prepared.validation, metrics);
}
