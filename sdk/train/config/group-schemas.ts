/**
 * The zod schema of every settings group of an experiment, grouped like H2O LLM Studio's settings. Keys are
 * camelCase here; YAML files spell them snake_case (see `case-mapping.ts`, the one mapping between the two).
 * Each field's `.describe()` text is its documentation (shown by `tunebook train --help-config`).
 */
import { z } from "zod";
import { BACKBONE_DTYPES } from "../../models";

/** The preference losses of `problem_type: dpo` (H2O LLM Studio's `loss_function` values, plus `ORPOLoss`). */
export const PREFERENCE_LOSSES = [
  "DPOLoss",
  "DPOHingeLoss",
  "DPOIPOLoss",
  "KTOPairLoss",
  "CPOLoss",
  "SimPOLoss",
  "ORPOLoss",
] as const;

/** Values of `training.loss_function`, with H2O LLM Studio's names; each problem type accepts its own. */
export const LOSS_FUNCTIONS = [
  "TokenAveragedCrossEntropy",
  "CrossEntropyLoss",
  "BinaryCrossEntropyLoss",
  "MSELoss",
  "MAELoss",
  ...PREFERENCE_LOSSES,
] as const;

/** A probability-like fraction in [lo, hi]. */
const fraction = (lo = 0, hi = 1) => z.number().min(lo).max(hi);
/** An optional string: `null` (YAML `null` or `~`) means "not used". */
const optionalString = () => z.string().min(1).nullable();

/** Where the data comes from and how its columns become prompts and answers. */
export const datasetSchema = z
  .object({
    trainFile: optionalString()
      .default(null)
      .describe("training data file (csv, jsonl, json, parquet); null when a Dataset is passed in code"),
    validationFile: optionalString()
      .default(null)
      .describe("validation data file; null = hold out `validation_size` of the training data"),
    validationSize: fraction(0, 0.95)
      .default(0.01)
      .describe("fraction of the training data held out for validation when no validation file is given"),
    dataSample: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe("fraction of the data to use (quick experiments)"),
    dataSampleChoice: z
      .array(z.enum(["train", "validation"]))
      .default(["train", "validation"])
      .describe("which parts `data_sample` applies to (sampled after the validation split)"),
    systemColumn: optionalString().default(null).describe("column holding the system prompt, or null"),
    promptColumn: z
      .preprocess((v) => (typeof v === "string" ? [v] : v), z.array(z.string().min(1)).min(1))
      .default(["prompt"])
      .describe("prompt column, or several columns joined with `prompt_column_separator`"),
    promptColumnSeparator: z.string().default("\n\n").describe("text placed between several prompt columns"),
    answerColumn: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .nullable()
      .default("answer")
      .describe(
        "column holding the answer to learn (dpo: the chosen answer); for causal_classification the label column (binary or multi-class) or several 0/1 columns (multi-label), for causal_regression one or more numeric target columns",
      ),
    rejectedAnswerColumn: optionalString()
      .default(null)
      .describe("dpo: column holding the rejected answer of each pair (required for problem_type dpo)"),
    rejectedPromptColumn: optionalString()
      .default(null)
      .describe(
        "dpo: column holding the rejected answer's own prompt; null = the same prompt as the chosen one",
      ),
    numClasses: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1)
      .describe(
        "causal_classification: 1 = binary labels 0/1, K > 1 = labels 0…K−1 (or the number of label columns for multi-label)",
      ),
    idColumn: optionalString().default(null).describe("column with a unique record id (for chained chats)"),
    parentIdColumn: optionalString()
      .default(null)
      .describe("column pointing at the previous turn's id; chains records into conversations"),
    messagesColumn: optionalString()
      .default(null)
      .describe("column holding chat messages [{role, content}]; replaces system/prompt/answer columns"),
    textColumn: optionalString()
      .default(null)
      .describe("column of raw text for continued pretraining; every token is learned"),
    useChatTemplate: z
      .boolean()
      .default(false)
      .describe("format with the tokenizer's chat template instead of the text markers below"),
    textSystemStart: z.string().default("<|system|>").describe("marker put before the system prompt"),
    textPromptStart: z.string().default("<|prompt|>").describe("marker put before each prompt"),
    textAnswerSeparator: z.string().default("<|answer|>").describe("marker between prompt and answer"),
    maskPromptLabels: z.boolean().default(true).describe("learn only the answer tokens, not the prompt"),
    onlyLastAnswer: z
      .boolean()
      .default(false)
      .describe("in a chained conversation, learn only the last answer"),
    limitChainedSamples: z
      .boolean()
      .default(false)
      .describe(
        "true: only complete conversations are samples; false: every record of a chain ends a sample",
      ),
    allowInvalidText: z
      .boolean()
      .default(false)
      .describe(
        "read data files holding bytes that are not UTF-8 (replaced by U+FFFD) or NUL characters, with a warning; false = refuse them",
      ),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.messagesColumn !== null && d.textColumn !== null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["textColumn"],
        message: "set either `messages_column` or `text_column`, not both",
      });
    }
  });

/** How text becomes token ids. */
export const tokenizerSchema = z
  .object({
    maxLength: z.number().int().min(8).max(1_048_576).default(512).describe("longest sample in tokens"),
    maxLengthPrompt: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        "each prompt part keeps its last this many tokens, before max_length; null = no separate limit",
      ),
    maxLengthAnswer: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe("each answer keeps its first this many tokens, before max_length; null = no separate limit"),
    paddingQuantile: fraction()
      .default(1)
      .describe("pad batches to this quantile of their lengths (longer samples are truncated); 1 = longest"),
    addEosTokenToSystem: z
      .boolean()
      .default(true)
      .describe("end the system prompt with EOS (text markers only)"),
    addEosTokenToPrompt: z.boolean().default(true).describe("end each prompt with EOS (text markers only)"),
    addEosTokenToAnswer: z
      .boolean()
      .default(true)
      .describe("end each answer with EOS (the model learns to stop)"),
  })
  .strict();

/** The backbone model and how it is held in memory. */
export const architectureSchema = z
  .object({
    backbone: z
      .string({ required_error: "required: a local model directory or a Hugging Face hub id" })
      .min(1)
      .describe("Hugging Face model directory or hub id, e.g. ./models/tiny-llama or Qwen/Qwen3-0.6B"),
    backboneDtype: z
      .enum(BACKBONE_DTYPES)
      .default("float32")
      .describe(
        "dtype of the frozen backbone weights: int8/int4 quantize the frozen linear layers (QLoRA-style); float16/bfloat16 compute in float32 on CPU",
      ),
    gradientCheckpointing: z
      .boolean()
      .default(false)
      .describe(
        "recompute each decoder layer in the backward instead of keeping its activations: activation memory stops growing with the number of layers, steps take longer",
      ),
    intermediateDropout: fraction(0, 0.5)
      .default(0)
      .describe("dropout inside the backbone during training (not supported yet)"),
    pretrainedWeights: optionalString()
      .default(null)
      .describe("experiment, checkpoint or PEFT adapter folder to start from instead of fresh adapters"),
  })
  .strict();

/** Low-rank adapters (LoRA); with `enabled: false` every backbone weight is trained. */
export const loraSchema = z
  .object({
    enabled: z.boolean().default(true).describe("train LoRA adapters instead of the full model"),
    r: z.number().int().min(1).max(1024).default(8).describe("rank of the adapter matrices"),
    alpha: z.number().gt(0).max(4096).default(16).describe("scaling numerator: scale = alpha / r (or / √r)"),
    dropout: fraction(0, 0.9).default(0.05).describe("dropout on the adapter's input"),
    targetModules: z
      .union([z.literal("all-linear"), z.array(z.string().min(1)).min(1)])
      .default(["q_proj", "v_proj"])
      .describe('module names to adapt, e.g. [q_proj, v_proj], or "all-linear"'),
    useRslora: z.boolean().default(false).describe("rank-stabilised LoRA: scale = alpha / √r"),
    useDora: z
      .boolean()
      .default(false)
      .describe(
        "DoRA: a trainable magnitude per output row times the LoRA-updated weight's direction (PEFT's use_dora); needs a float32/float16/bfloat16 backbone",
      ),
  })
  .strict();

/** The optimisation loop: epochs, batches, AdamW, schedule, evaluation and checkpoints. */
export const trainingSchema = z
  .object({
    epochs: z.number().int().min(0).max(1000).default(1).describe("passes over the training data"),
    batchSize: z.number().int().min(1).max(4096).default(4).describe("samples per micro-batch"),
    gradAccumulation: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(1)
      .describe("micro-batches per optimizer step"),
    gradAccumulationAverage: z
      .enum(["tokens", "micro_batches"])
      .default("tokens")
      .describe(
        "how an accumulated step averages: over all target tokens (one big batch) or the mean of micro-batch means",
      ),
    learningRate: z.number().gt(0).max(1).default(1e-4).describe("peak learning rate"),
    lossFunction: z
      .enum(LOSS_FUNCTIONS)
      .nullable()
      .default(null)
      .describe(
        "the loss (H2O LLM Studio's names): TokenAveragedCrossEntropy (causal_lm), CrossEntropyLoss or BinaryCrossEntropyLoss (causal_classification), MSELoss or MAELoss (causal_regression), DPOLoss, DPOHingeLoss, DPOIPOLoss, KTOPairLoss, CPOLoss, SimPOLoss or ORPOLoss (dpo); null = the problem type's default",
      ),
    beta: z
      .number()
      .gt(0)
      .max(100)
      .default(0.2)
      .describe("dpo: the temperature β of the preference loss (IPO's τ, ORPO's λ)"),
    simpoGamma: z.number().min(0).max(100).default(1).describe("dpo: SimPOLoss's target reward margin γ"),
    labelSmoothing: z
      .number()
      .min(0)
      .lt(0.5)
      .default(0)
      .describe("dpo: conservative-DPO label smoothing ε of DPOLoss, CPOLoss and SimPOLoss"),
    cpoAlpha: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe("dpo: weight of CPOLoss's NLL term on the chosen answers (0 = H2O LLM Studio's CPOLoss)"),
    schedule: z.enum(["cosine", "linear", "constant"]).default("cosine").describe("decay after warmup"),
    warmupEpochs: z
      .number()
      .min(0)
      .max(1000)
      .default(0)
      .describe("linear warmup length in (fractional) epochs"),
    minLrRatio: fraction().default(0).describe("final learning rate as a fraction of the peak"),
    weightDecay: z.number().min(0).max(10).default(0).describe("AdamW decoupled weight decay"),
    adamBeta1: z.number().min(0).lt(1).default(0.9).describe("AdamW β1"),
    adamBeta2: z.number().min(0).lt(1).default(0.999).describe("AdamW β2"),
    adamEpsilon: z.number().gt(0).max(1).default(1e-8).describe("AdamW ε"),
    maxGradNorm: z
      .number()
      .min(0)
      .default(1)
      .describe("clip the global gradient norm to this; 0 = no clipping"),
    evaluationEpochs: z
      .number()
      .gt(0)
      .max(1000)
      .default(1)
      .describe("evaluate every this many (fractional) epochs, e.g. 0.25"),
    evaluateBeforeTraining: z.boolean().default(false).describe("run one validation pass before step 1"),
    saveCheckpoint: z
      .enum(["best", "last", "each_evaluation", "disable"])
      .default("last")
      .describe("which checkpoints to keep: best validation, last, one per evaluation, or none"),
    packing: z.boolean().default(false).describe("pack several short samples into one sequence"),
    seed: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(null)
      .describe("seed of data shuffling and dropout; null = use environment.seed"),
  })
  .strict();

/** Data augmentation a text language model can use. */
export const augmentationSchema = z
  .object({
    tokenMaskProbability: fraction(0, 0.9)
      .default(0)
      .describe("probability of replacing each input token by the padding token (labels kept)"),
    skipParentProbability: fraction()
      .default(0)
      .describe("probability of dropping the previous turn of a chat (not supported yet)"),
    randomParentProbability: fraction()
      .default(0)
      .describe("probability of replacing the previous turn by a random record (not supported yet)"),
    neftuneNoiseAlpha: z.number().min(0).max(15).default(0).describe("NEFTune embedding noise α; 0 = off"),
  })
  .strict();

/** Validation metric and text generation settings. */
export const predictionSchema = z
  .object({
    metric: z
      .enum(["perplexity", "bleu", "llm_judge", "qa_accuracy", "auc", "accuracy", "log_loss", "mse", "mae"])
      .default("perplexity")
      .describe(
        "validation metric that picks the best checkpoint: perplexity, bleu, llm_judge, qa_accuracy (causal_lm); auc, accuracy, log_loss (causal_classification; the default perplexity means auc); mse, mae (causal_regression; the default means mse)",
      ),
    metricSample: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe(
        "share of the validation rows whose generated answers are scored at each evaluation during training (the same rows each time); 1 = all",
      ),
    judgeModel: z.string().min(1).default("gpt-4o-mini").describe("model asked by the llm_judge metric"),
    maxNewTokens: z.number().int().min(1).max(65_536).default(256).describe("longest generated answer"),
    minNewTokens: z.number().int().min(0).max(65_536).default(0).describe("shortest generated answer"),
    temperature: z.number().min(0).max(10).default(0).describe("sampling temperature; 0 = greedy"),
    topK: z.number().int().min(0).default(0).describe("sample among the k likeliest tokens; 0 = off"),
    topP: z.number().gt(0).max(1).default(1).describe("nucleus sampling mass; 1 = off"),
    repetitionPenalty: z.number().min(1).max(10).default(1).describe("penalty on repeated tokens; 1 = off"),
    numBeams: z.literal(1).default(1).describe("beam search width (only 1 is supported)"),
    stopTokens: z.array(z.string().min(1)).default([]).describe("strings that end generation"),
    batchSize: z.number().int().min(0).default(0).describe("generation batch size; 0 = training batch size"),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.minNewTokens > p.maxNewTokens) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["minNewTokens"],
        message: `expected at most max_new_tokens (${p.maxNewTokens}), got ${p.minNewTokens}`,
      });
    }
  });

/** Where and how the run executes. */
export const environmentSchema = z
  .object({
    device: z.enum(["cpu", "cuda"]).default("cpu").describe("onnxruntime execution provider"),
    threads: z
      .number()
      .int()
      .min(0)
      .max(1024)
      .default(0)
      .describe("intra-op threads; 0 = onnxruntime default"),
    seed: z.number().int().min(-1).default(-1).describe("global random seed; -1 = pick one and record it"),
    deterministic: z.boolean().default(false).describe("prefer reproducible kernels over speed"),
  })
  .strict();

/** Where the experiment's files go and how often it logs. */
export const loggingSchema = z
  .object({
    outputDir: z.string().min(1).default("./experiments").describe("root folder of experiment folders"),
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        "letters, digits, '.', '_' or '-', starting with a letter or digit",
      )
      .default("experiment")
      .describe("experiment name; its folder is <output_dir>/<name>-<timestamp>"),
    logEveryNSteps: z.number().int().min(1).default(10).describe("write metrics every this many steps"),
  })
  .strict();
