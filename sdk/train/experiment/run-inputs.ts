/**
 * Turns a validated configuration into what a run needs: the backbone with the configured LoRA (or none,
 * for full fine-tuning), the dataset read from the configured files with the configured column mapping, and
 * the tokenization options. Used by `fit()`, by `Experiment.resume` and by the CLI, so all three read a
 * configuration the same way.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type ColumnMappingInput, Dataset, type WarningHandler } from "../../data";
import { ConfigError } from "../../errors";
import { Backbone, type Tokenizer } from "../../models";
import type { ExperimentConfig } from "../config";
import { problemType } from "../problems";
import type { ProblemData, ProblemFunctions } from "../trainer";
import { ExperimentSetupError } from "./experiment-setup-error";

/**
 * The column mapping the dataset settings describe.
 * @param d - the dataset group
 * @returns the mapping for `Dataset.columns`
 * @example
 * ```ts
 * data.columns(columnMapping(config.dataset));
 * ```
 */
export function columnMapping(d: ExperimentConfig["dataset"]): ColumnMappingInput {
  if (d.messagesColumn) return { messages: d.messagesColumn };
  if (d.textColumn) return { text: d.textColumn };
  return {
    prompt: d.promptColumn as [string, ...string[]],
    promptSeparator: d.promptColumnSeparator,
    answer: (Array.isArray(d.answerColumn) ? d.answerColumn[0] : d.answerColumn) ?? undefined,
    system: d.systemColumn ?? undefined,
    ...(d.idColumn && d.parentIdColumn
      ? { id: d.idColumn, parentId: d.parentIdColumn, limitChainedSamples: d.limitChainedSamples }
      : {}),
  };
}

/**
 * Checks what the schema cannot: that the data files the configuration names exist (relative to the current
 * folder). `tunebook train` (with or without `--dry-run`), `fit()` and resume all run it before any work.
 * @param config - the configuration
 * @param source - where the configuration came from, for the message
 * @returns nothing
 * @throws ConfigError naming each missing file's setting
 * @example
 * ```ts
 * checkDataFiles(config, "exp.yaml");
 * ```
 */
export function checkDataFiles(config: ExperimentConfig, source: string): void {
  const files: [string, string | null][] = [
    ["train_file", config.dataset.trainFile],
    ["validation_file", config.dataset.validationFile],
  ];
  const issues = files
    .filter(([, file]) => file !== null && !fs.existsSync(path.resolve(file)))
    .map(([key, file]) => ({
      path: ["dataset", key],
      message: `expected an existing file, got ${JSON.stringify(file)} (not found from ${process.cwd()})`,
    }));
  if (issues.length) throw new ConfigError(issues, { source });
}

/**
 * Reads the configured training file (and validation file or held-out fraction).
 * @param config - the configuration
 * @param onWarning - receives the readers' warnings (`invalid-text` with `dataset.allow_invalid_text`)
 * @returns the dataset with mapping, validation set and sampling (`data_sample` of the parts `data_sample_choice` names)
 * @throws ExperimentSetupError when no training file is configured; DatasetReadError for unreadable files
 * @example
 * ```ts
 * const data = await datasetFromConfig(config);
 * ```
 */
export async function datasetFromConfig(
  config: ExperimentConfig,
  onWarning?: WarningHandler,
): Promise<Dataset> {
  const d = config.dataset;
  if (!d.trainFile) {
    throw new ExperimentSetupError(
      "dataset.train_file is not set",
      "Set dataset.train_file in the config, or pass the Dataset in code (`.dataset(data)` or `resume(dir, { dataset })`).",
    );
  }
  const read = { allowInvalidText: d.allowInvalidText, onWarning };
  const data = sampledAsConfigured(
    (await Dataset.fromFile(d.trainFile, read)).columns(columnMapping(d)),
    config,
  );
  if (d.validationFile) return data.validation({ file: d.validationFile });
  if (d.validationSize > 0) return data.validation({ size: d.validationSize, seed: 1234 });
  return data;
}

/**
 * Applies `dataset.data_sample` (with H2O LLM Studio's `data_sample_choice`: split first, then sample only the
 * chosen parts) to a dataset, whether it came from the config's file or was passed in code.
 * @param data - the dataset
 * @param config - the configuration (dataset and environment groups)
 * @returns the dataset, sampled when `data_sample` < 1
 * @example
 * ```ts
 * const data = sampledAsConfigured(myData, exp.config);
 * ```
 */
export function sampledAsConfigured(data: Dataset, config: ExperimentConfig): Dataset {
  const d = config.dataset;
  if (d.dataSample >= 1) return data;
  return data.sample({
    fraction: d.dataSample,
    seed: config.environment.seed,
    splits: [...d.dataSampleChoice],
  });
}

/**
 * A backbone set up for the configured training: with fresh LoRA adapters of the configured shape, or
 * without LoRA for full fine-tuning. A given backbone is reused when it already matches (otherwise its inference
 * session is released).
 * @param config - the configuration (architecture, lora, environment groups)
 * @param seed - seed of the adapters' initial values
 * @param given - a backbone loaded by the user, if any
 * @returns the backbone to train
 * @example
 * ```ts
 * const backbone = await backboneForTraining(config, 42);
 * ```
 */
export async function backboneForTraining(
  config: ExperimentConfig,
  seed: number,
  given?: Backbone,
): Promise<Backbone> {
  const l = config.lora;
  const lora = l.enabled
    ? {
        r: l.r,
        alpha: l.alpha,
        dropout: l.dropout,
        targetModules: l.targetModules as "all-linear" | [string, ...string[]],
        useRslora: l.useRslora,
        useDora: l.useDora,
        seed,
      }
    : undefined;
  const matches =
    given &&
    (lora
      ? given.lora !== undefined &&
        given.lora.options.r === lora.r &&
        given.lora.options.alpha === lora.alpha &&
        given.lora.options.useRslora === lora.useRslora &&
        given.lora.options.useDora === lora.useDora &&
        given.lora.options.dropout === lora.dropout &&
        JSON.stringify(given.lora.options.targetModules) === JSON.stringify(lora.targetModules)
      : given.lora === undefined);
  if (given && matches && given.dtype === config.architecture.backboneDtype) return given;
  // Another backbone is loaded for the run: the given one's inference session would be a second copy of the
  // weights during training (it is compiled again if that backbone is used later).
  await given?.releaseSessions();
  const env = config.environment;
  return Backbone.load(given?.modelDir.dir ?? config.architecture.backbone, {
    lora,
    dtype: config.architecture.backboneDtype,
    device: env.device,
    threads: env.threads > 0 ? env.threads : undefined,
  });
}

/**
 * The tokenizer of a backbone that is to be trained.
 * @param backbone - the backbone
 * @returns its tokenizer
 * @throws ExperimentSetupError when the model folder has none
 * @example
 * ```ts
 * const tokenizer = trainingTokenizer(backbone);
 * ```
 */
export function trainingTokenizer(backbone: Backbone): Tokenizer {
  const tokenizer = backbone.modelDir.tokenizer;
  if (!tokenizer) {
    throw new ExperimentSetupError(
      `the backbone at ${backbone.modelDir.dir} has no tokenizer`,
      "Load it with a tokenizer.json beside the weights.",
    );
  }
  return tokenizer;
}

/**
 * Reads a run's data (the given Dataset, sampled as configured, else the configured files) and prepares it as
 * the configured problem type's batches.
 * @param config - the configuration
 * @param tokenizer - the backbone's tokenizer
 * @param given - a Dataset passed in code, if any
 * @param onWarning - receives each data warning's message
 * @param functions - code the problem type takes (GRPO's reward functions), given in the SDK
 * @returns the training and validation data of the problem type
 * @throws ExperimentSetupError when there is no data; the data layer's errors for unreadable data
 * @example
 * ```ts
 * const { train, validation } = await prepareRunData(config, tokenizer, undefined, console.warn);
 * ```
 */
export async function prepareRunData(
  config: ExperimentConfig,
  tokenizer: Tokenizer,
  given: Dataset | undefined,
  onWarning: (message: string) => void,
  functions?: ProblemFunctions,
): Promise<{ train: ProblemData; validation?: ProblemData }> {
  const dataset = given
    ? sampledAsConfigured(given, config)
    : await datasetFromConfig(config, (w) => onWarning(w.message));
  return problemType(config.problemType).prepare({ config, dataset, tokenizer, onWarning, functions });
}
