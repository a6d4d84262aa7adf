/**
 * What a problem type is, as the trainer, the experiment and the CLI see it. A problem type (causal LM, causal
 * classification, regression, the DPO family, …) is one file in `sdk/train/problems/` plus one registry line:
 * it declares its settings checks, turns a `Dataset` into batches, puts its head and loss on the backbone's
 * graph, computes its validation metrics, and says what the trained model produces. The training loop is one
 * loop over any of them. `docs/problem-types.md` walks through adding one.
 */
import type { Dataset, TokenizedDataset } from "../../data";
import type { Feeds } from "../../engine";
import type { ConfigIssue } from "../../errors";
import type { Backbone, Tokenizer } from "../../models";
import type { ExperimentConfig, ProblemTypeName } from "../config";
import type { BackboneStep } from "./backbone-step";
import type { CausalLmStepOptions } from "./causal-lm-step";
import type { RunMetric, ValidationResult } from "./validate";

/**
 * The model as it is trained so far, for problems whose batches depend on it (GRPO samples its completions
 * from it). The trainer passes it to {@link StepBatch.feeds}; offline problems ignore it.
 */
export interface Policy {
  /** The backbone (frozen weights, adapters, tokenizer): generate with it after loading {@link params}. */
  readonly backbone: Backbone;
  /** The values trained so far (LoRA tensors or full weights) by name; a fresh copy at each call. */
  params(): Record<string, Float32Array>;
}

/** One micro-batch, ready to be fed to the problem's step. */
export interface StepBatch {
  /** 0-based index within its epoch (a resumed run starts at `index + 1`). */
  readonly index: number;
  /**
   * Real (non-padding) tokens it holds, for throughput. An online batch (one whose feeds are a promise) knows it
   * once its feeds have resolved; the trainer reads it then.
   */
  readonly numTokens: number;
  /**
   * What its loss is a mean over (labelled tokens for causal LM, rows for a classifier, completion tokens for
   * GRPO): gradient accumulation by tokens weights each micro-batch by it. Read after the feeds resolved.
   */
  readonly numTargetTokens: number;
  /**
   * Values measured while the feeds were made (GRPO: `reward`, the mean reward of its completions), read after
   * the feeds resolved; the trainer averages them over the step's micro-batches into the `step` event's
   * `metrics`.
   */
  readonly stats?: Readonly<Record<string, number>>;
  /**
   * The step's data feeds: computed from the data alone (causal LM), or, for an online problem, produced from
   * the policy trained so far (a promise: GRPO generates completions and scores them first).
   * @param dropoutSeed - seed of this micro-step's random masks; negative in evaluation (no dropout, no
   *   augmentation)
   * @param policy - the model as trained so far (given by the trainer for training batches)
   */
  feeds(dropoutSeed: number, policy?: Policy): Feeds | Promise<Feeds>;
}

/** One epoch's micro-batches, in their seeded order. */
export interface StepBatches extends Iterable<StepBatch> {
  readonly numBatches: number;
}

/** Which batches to iterate: the same `(seed, epoch)` always gives the same order. */
export interface BatchIteration {
  batchSize: number;
  /** Default true. */
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  /** Skip the batches before this one (resume). */
  startBatch?: number;
}

/**
 * Scores one completion of a GRPO prompt: higher is better. It may be async. A throw or a result that is not a
 * finite number fails the step, naming the function and the row.
 * @param completion - the generated text (special tokens skipped)
 * @param row - the dataset row the prompt came from (every original column)
 */
export type RewardFunction = (
  completion: string,
  row: Readonly<Record<string, unknown>>,
) => number | Promise<number>;

/** Code a problem type takes that a configuration file cannot hold, passed with `Experiment.problem`. */
export interface ProblemFunctions {
  /** GRPO: the reward functions, summed per completion (weighted by `grpo.reward_weights`). */
  rewards?: readonly RewardFunction[];
}

/** A problem type's training or validation data. */
export interface ProblemData {
  /**
   * The tokenized inputs: the run's data fingerprint, the memory plan and the prompts of generated-text
   * metrics read them.
   */
  readonly tokens: TokenizedDataset;
  /** Rows (examples, pairs) it holds. */
  readonly length: number;
  /**
   * The micro-batches of one epoch.
   * @throws DatasetError when there are fewer rows than one batch
   */
  batches(o: BatchIteration): StepBatches;
}

/** What the trainer asks of a problem type's step builder (model, optimizer, memory settings). */
export type ProblemStepOptions = Omit<CausalLmStepOptions, "fileName" | "lossChunkSize"> & {
  /** The run's configuration, for the problem's own settings. */
  config: ExperimentConfig;
};

/** A compiled step: the fused train step and the names and shapes of what it trains. */
export type ProblemStep = BackboneStep;

/** A problem type: one implementation of each stage of a run. */
export interface ProblemType {
  /** The `problem_type` value. */
  readonly name: ProblemTypeName;
  /**
   * What the trained model produces: `text` (generation, chat, serving and the text export formats apply), or
   * `scores` (a head over the last token's hidden state: class probabilities or regression values).
   */
  readonly produces: "text" | "scores";
  /** Names of the metrics {@link ProblemType.validate} computes (others score generated answers). */
  readonly metricNames: readonly string[];
  /**
   * Settings problems this type finds in a configuration that the schema alone cannot see (a missing column,
   * a loss that does not apply), before anything is loaded.
   */
  check(config: ExperimentConfig): ConfigIssue[];
  /**
   * The validation metrics a configuration asks for, the first one picking the best checkpoint.
   * @param config - the experiment configuration (`prediction.metric` and the problem's settings)
   */
  metrics(config: ExperimentConfig): RunMetric[];
  /**
   * Tokenizes and checks the data and lays it out as this problem's batches.
   * @throws DatasetError naming the row for data the problem cannot train on
   */
  prepare(o: {
    config: ExperimentConfig;
    dataset: Dataset;
    tokenizer: Tokenizer;
    onWarning: (message: string) => void;
    /** Code a configuration file cannot hold, given in the SDK (GRPO's reward functions). */
    functions?: ProblemFunctions;
  }): Promise<{ train: ProblemData; validation?: ProblemData }>;
  /** Builds and compiles the step: the backbone's graph, this problem's head and loss, the optimizer. */
  createStep(o: ProblemStepOptions): Promise<ProblemStep>;
  /**
   * One validation pass in the step's evaluation mode: the loss and the metrics this problem computes; the
   * metrics that score generated answers are returned in `generated`.
   */
  validate(o: {
    step: ProblemStep["step"];
    data: ProblemData;
    batchSize: number;
    metrics: readonly RunMetric[];
    /** The model as trained so far (an online problem generates with it). */
    policy?: Policy;
  }): Promise<ValidationResult>;
}
