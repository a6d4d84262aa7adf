/**
 * A trained experiment as a model: its backbone with a checkpoint's trained values loaded (`best` when the
 * run kept one, else `last`), and its export as a PEFT adapter or a merged Hugging Face model folder whose
 * model card carries the training configuration and the final validation metrics.
 */
import fs from "node:fs";
import path from "node:path";
import {
  adapterTensors,
  assertSafeTarget,
  Backbone,
  type BackboneOptions,
  ExportError,
  exportGguf,
  exportMergedModel,
  exportOnnx,
  GGUF_TYPES,
  type GgufType,
  type MERGED_DTYPES,
  type ModelCardOptions,
  ModelCardOptionsSchema,
  modelCardFacts,
  type OnnxDtype,
  renderModelCard,
  saveLoraAdapter,
} from "../../models";
import { configToPlain, type ExperimentConfig } from "../config";
import { problemType, splitScoreHead } from "../problems";
import { ExperimentStore } from "../store";
import { readCheckpointParams } from "../trainer";
import { ExperimentSetupError } from "./experiment-setup-error";
import { backboneForTraining } from "./run-inputs";
import { addHeadToAdapter, toSequenceClassification } from "./score-export";

/** Which checkpoint of an experiment to use. */
export type CheckpointChoice = "best" | "last";

/**
 * The checkpoint folder of an experiment: the requested one, else `best` when present, else `last`.
 * @param store - the experiment
 * @param choice - which one (default: best if kept, else last)
 * @returns the checkpoint folder
 * @throws ExperimentSetupError when the experiment has no checkpoint
 */
function checkpointDir(store: ExperimentStore, choice?: CheckpointChoice): string {
  const order: CheckpointChoice[] = choice ? [choice] : ["best", "last"];
  for (const name of order) {
    const dir = store.path("checkpoints", name);
    if (fs.existsSync(dir) || fs.existsSync(`${dir}.old`)) return dir;
  }
  throw new ExperimentSetupError(
    `${store.dir} has no ${choice ?? "best or last"} checkpoint`,
    "Train it first (checkpoints are written at each evaluation unless training.save_checkpoint is disable).",
  );
}

/**
 * Opens an experiment folder and reads its configuration.
 * @param dir - the experiment folder
 * @returns the store and the validated configuration
 * @throws ExperimentNotFoundError when `dir` is not an experiment; ExperimentSetupError when it has no config.yaml
 * @example
 * ```ts
 * const { store, config } = openExperiment("experiments/capitals-20261123-101500");
 * ```
 */
export function openExperiment(dir: string): { store: ExperimentStore; config: ExperimentConfig } {
  const store = ExperimentStore.open(dir);
  const config = store.readConfig();
  if (!config) throw new ExperimentSetupError(`${dir} has no config.yaml`, "Pass a folder made by fit().");
  return { store, config };
}

/**
 * Loads an experiment's backbone with its trained values.
 * @param dir - the experiment folder
 * @param options - which checkpoint
 * @returns the backbone, ready to generate or export (dispose it when done)
 * @throws ExperimentNotFoundError, ExperimentSetupError or CheckpointError when there is nothing to load
 * @example
 * ```ts
 * const backbone = await loadTrainedBackbone("experiments/capitals-20261123-101500");
 * ```
 */
export async function loadTrainedBackbone(
  dir: string,
  options: { checkpoint?: CheckpointChoice } = {},
): Promise<Backbone> {
  return (await loadTrainedModel(dir, options)).backbone;
}

/**
 * Loads an experiment's trained model: the backbone with its trained values, the `score` head of a
 * `causal_classification` / `causal_regression` run, and the configuration.
 * @param dir - the experiment folder
 * @param options - which checkpoint
 * @returns backbone (dispose it when done), head (scores runs only) and configuration
 * @throws ExperimentNotFoundError, ExperimentSetupError or CheckpointError when there is nothing to load
 * @example
 * ```ts
 * const { backbone, head, config } = await loadTrainedModel("experiments/sentiment-20261204-041500");
 * const { values } = await scoreRows({ backbone, head, config, rows: ["a fine film"] });
 * ```
 */
export async function loadTrainedModel(
  dir: string,
  options: { checkpoint?: CheckpointChoice } = {},
): Promise<{ backbone: Backbone; head?: Float32Array; config: ExperimentConfig }> {
  const { store, config } = openExperiment(dir);
  const { state, params } = await readCheckpointParams(checkpointDir(store, options.checkpoint));
  const backbone = await backboneForTraining(config, state.seed);
  const trained = splitScoreHead(params);
  await backbone.updateParameters(new Map(Object.entries(trained.backbone)));
  return { backbone, head: trained.head, config };
}

/**
 * Refuses to use a scores model (classification, regression) for text: generation, chat, serving and the text
 * export formats need a model that writes text.
 * @param config - the experiment's configuration
 * @param what - what was asked, for the message (e.g. "serve", "export --format merged")
 * @throws ExperimentSetupError for a `causal_classification` or `causal_regression` experiment
 * @example
 * ```ts
 * refuseScoresModel(config, "serve");
 * ```
 */
export function refuseScoresModel(config: ExperimentConfig, what: string): void {
  if (problemType(config.problemType).produces !== "scores") return;
  throw new ExperimentSetupError(
    `${what} needs a model that writes text, and this is a ${config.problemType} experiment: its model produces ${config.problemType === "causal_regression" ? "values" : "class probabilities"} from a score head, not text`,
    "Use `tunebook predict <experiment> <file>` or `run.classify()` / `run.predict()` for it.",
  );
}

/**
 * Loads a model folder (or hub id), or an experiment folder's trained model (best checkpoint if kept, else last).
 * @param model - a Hugging Face model folder, hub id, or experiment folder
 * @param options - `threads` for the sessions
 * @returns the backbone (dispose it when done)
 * @example
 * ```ts
 * const backbone = await loadModelOrExperiment("experiments/capitals-20261123-101500");
 * ```
 */
export async function loadModelOrExperiment(
  model: string,
  options: Pick<BackboneOptions, "threads"> = {},
): Promise<Backbone> {
  const isExperiment = ["status.json", "config.yaml"].some((f) => fs.existsSync(path.join(model, f)));
  if (isExperiment) refuseScoresModel(openExperiment(model).config, "generating text from it");
  return isExperiment ? loadTrainedBackbone(model) : Backbone.load(model, options);
}

/** The model card of an adapter export (none when the backbone has no LoRA: saving then says why). */
function adapterCard(backbone: Backbone, card: ModelCardOptions, output: string): string | undefined {
  if (!backbone.lora) return undefined;
  const { tensors, modules } = adapterTensors(backbone.lora);
  const parameters = Object.values(tensors).reduce((n, t) => n + t.data.length, 0);
  const facts = modelCardFacts(backbone, {
    name: path.basename(path.resolve(output)),
    mergedModules: modules,
    parameters,
    format: "peft",
  });
  return renderModelCard(ModelCardOptionsSchema.parse(card), facts);
}

/** The formats {@link exportExperiment} writes. */
export const EXPORT_FORMATS = ["peft", "merged", "onnx", "gguf"] as const;

/** An export format: `peft`, `merged`, `onnx`, `gguf`. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Options of {@link exportExperiment}. */
export interface ExportExperimentOptions {
  /** The experiment folder. */
  experiment: string;
  /** The folder to write. */
  output: string;
  /**
   * `peft`: the LoRA adapter alone; `merged`: a complete Hugging Face model with the adapters merged in;
   * `onnx`: the merged model as ONNX for transformers.js and onnxruntime (see `exportOnnx`); `gguf`: the merged
   * model as a GGUF file for llama.cpp and Ollama (with a Modelfile).
   */
  format: ExportFormat;
  /** With `onnx`: the transformers.js `dtype`s to write (default fp32, q8, q4). */
  onnxDtypes?: readonly OnnxDtype[];
  /** Tensor type of a `gguf` export: `f32`, `f16` (default), `q8_0` or `q4_0`. */
  ggufType?: GgufType;
  /**
   * Weight dtype of a `merged` export: `source` (default: the base checkpoint's, e.g. bfloat16 stays bfloat16),
   * or `float32`, `float16`, `bfloat16` for every tensor. float32 reproduces the trained model's outputs to
   * float rounding; a 16-bit dtype rounds each merged weight once.
   */
  mergedDtype?: (typeof MERGED_DTYPES)[number];
  /** Which checkpoint (default: best if kept, else last). */
  checkpoint?: CheckpointChoice;
  /** Replace a non-empty output folder. */
  overwrite?: boolean;
}

/**
 * Exports a trained experiment. A `causal_classification` / `causal_regression` experiment exports `merged` in
 * Hugging Face's sequence-classification layout and `peft` with the head in `modules_to_save`; `onnx` and
 * `gguf` (text formats) are refused for it.
 * @param options - experiment, output folder, format, checkpoint, overwrite
 * @returns the folder written
 * @throws ExportError when the output exists (without `overwrite`, or is not a previous export), is, contains or
 *   lies inside the experiment or base model folder, is or contains the current directory, the format is
 *   unknown, or `peft` is asked of a full fine-tune
 * @example
 * ```ts
 * await exportExperiment({ experiment: run.dir, output: "out/merged", format: "merged" });
 * ```
 */
export async function exportExperiment(options: ExportExperimentOptions): Promise<string> {
  const store = ExperimentStore.open(options.experiment);
  const configured = store.readConfig();
  const scores =
    configured && problemType(configured.problemType).produces === "scores" ? configured : undefined;
  if (scores && (options.format === "onnx" || options.format === "gguf"))
    refuseScoresModel(scores, `export --format ${options.format}`);
  checkGgufType(options);
  if (options.format === "gguf") return exportExperimentGguf(store, options);
  if (!(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new ExportError({
      target: path.resolve(options.output),
      problem: `unknown export format '${String(options.format)}'`,
      fix: `Choose one of ${EXPORT_FORMATS.join(", ")}: peft (the LoRA adapter alone), merged (a complete Hugging Face model), onnx (for transformers.js and onnxruntime), gguf (llama.cpp, Ollama).`,
    });
  }
  const protect = [{ dir: store.dir, what: "the experiment folder being exported" }];
  // Checked before the (slow) model load; the export functions check again when they write.
  assertSafeTarget(options.output, protect);
  const { backbone, head } = await loadTrainedModel(options.experiment, { checkpoint: options.checkpoint });
  try {
    const evals = store.readMetrics().filter((r) => r.type === "eval");
    const last = evals.at(-1);
    const metrics = last?.type === "eval" ? { validation_loss: last.loss, ...last.metrics } : undefined;
    const config = store.readConfig();
    const modelCard = {
      title: store.id,
      description: `Fine-tuned with tunebook from experiment ${store.id}.`,
      trainingConfig: config ? (configToPlain(config) as Record<string, unknown>) : undefined,
      metrics,
    };
    if (options.format === "peft") {
      const overwrite = options.overwrite ?? false;
      const readme = adapterCard(backbone, modelCard, options.output);
      const dir = await saveLoraAdapter({ dir: options.output, backbone, overwrite, protect, readme });
      if (scores && head) await addHeadToAdapter(dir, head, scores);
      return dir;
    }
    const target = {
      backbone,
      dir: options.output,
      overwrite: options.overwrite ?? false,
      protect,
      modelCard,
    };
    if (options.format === "onnx") {
      const dtypes = options.onnxDtypes ? [...options.onnxDtypes] : undefined;
      return (await exportOnnx({ ...target, dtypes })).dir;
    }
    const exported = await exportMergedModel({ ...target, dtype: options.mergedDtype });
    if (scores && head) await toSequenceClassification(exported.dir, head, scores);
    return exported.dir;
  } finally {
    await backbone.dispose();
  }
}

/** Refuses a GGUF type that does not exist, or one given for another format, before the (slow) model load. */
function checkGgufType(options: ExportExperimentOptions): void {
  const type = options.ggufType;
  if (type === undefined) return;
  const target = path.resolve(options.output);
  if (options.format !== "gguf") {
    const problem = `a GGUF type (${type}) was given for the ${options.format} format`;
    throw new ExportError({ target, problem, fix: "Pass --gguf-type only with --format gguf." });
  }
  if (!(GGUF_TYPES as readonly string[]).includes(type)) {
    const problem = `unknown GGUF type '${type}'`;
    throw new ExportError({ target, problem, fix: `Choose one of ${GGUF_TYPES.join(", ")}.` });
  }
}

/** The `gguf` format of {@link exportExperiment}: the trained model's merged weights in llama.cpp's format. */
async function exportExperimentGguf(
  store: ExperimentStore,
  options: ExportExperimentOptions,
): Promise<string> {
  const protect = [{ dir: store.dir, what: "the experiment folder being exported" }];
  assertSafeTarget(options.output, protect);
  const backbone = await loadTrainedBackbone(options.experiment, { checkpoint: options.checkpoint });
  try {
    const exported = await exportGguf({
      backbone,
      dir: options.output,
      type: options.ggufType,
      overwrite: options.overwrite ?? false,
      name: store.id,
      protect,
    });
    return exported.dir;
  } finally {
    await backbone.dispose();
  }
}
