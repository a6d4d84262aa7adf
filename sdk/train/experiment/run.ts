/**
 * The outcome of `Experiment.fit()` / `Experiment.resume()`: how the run ended, its experiment folder, its
 * recorded metrics, and the backbone holding the trained values (ready to generate, evaluate or export).
 */
import type { Dataset, TokenizedDataset } from "../../data";
import type { Backbone } from "../../models";
import type { ExperimentConfig } from "../config";
import { tokenizeOptions } from "../problems";
import type { ExperimentStore, MetricRecord } from "../store";
import type { RunMetric, TrainLoopResult } from "../trainer";
import { type Evaluation, evaluateModel, predictionRecords } from "./evaluate-model";
import { ExperimentSetupError } from "./experiment-setup-error";
import { type ScorePredictions, scoreRows } from "./score-texts";

/** A finished (completed, cancelled or failed) training run. */
export class Run {
  /**
   * @param store - the experiment folder
   * @param config - the resolved configuration the run used
   * @param backbone - the model with the trained values
   * @param result - how the loop ended
   * @param validation - the tokenized validation examples, when the run had some
   * @param metrics - the run's validation metrics
   * @param head - the trained `score.weight` of a `causal_classification` or `causal_regression` run
   */
  constructor(
    readonly store: ExperimentStore,
    readonly config: ExperimentConfig,
    readonly backbone: Backbone,
    readonly result: TrainLoopResult,
    readonly validation?: TokenizedDataset,
    readonly metrics: readonly RunMetric[] = [],
    readonly head?: Float32Array,
  ) {}

  /**
   * Class probabilities of a `causal_classification` run's model for new texts (or records holding the
   * configured prompt columns), formatted as in training.
   * @param texts - prompts, or records with the prompt (and system) columns
   * @returns per row, the probability of each class (`columns` names them: `probability_0`…, or one per label
   *   column for multi-label, `probability_1` for binary)
   * @throws ExperimentSetupError when the run is not a classification run
   * @example
   * ```ts
   * const { columns, values } = await run.classify(["what a wonderful day", "this is awful"]);
   * ```
   */
  async classify(texts: readonly (string | Record<string, unknown>)[]): Promise<ScorePredictions> {
    if (this.config.problemType !== "causal_classification")
      throw new ExperimentSetupError(
        `classify() needs a causal_classification run, this one is ${this.config.problemType}`,
        this.config.problemType === "causal_regression"
          ? "Use predict() for regression."
          : "Use generate() for text.",
      );
    return this.predict(texts);
  }

  /**
   * Outputs of a scores run's model for new texts: class probabilities (`causal_classification`) or predicted
   * values (`causal_regression`, one per target column).
   * @param texts - prompts, or records with the prompt (and system) columns
   * @returns the output columns and one row of values per text
   * @throws ExperimentSetupError for a causal_lm run (it writes text); DatasetError naming a row without a prompt
   * @example
   * ```ts
   * const { values } = await run.predict(["seven plus eight"]); // [[15.2]]
   * ```
   */
  predict(texts: readonly (string | Record<string, unknown>)[]): Promise<ScorePredictions> {
    return scoreRows({
      backbone: this.backbone,
      head: this.head,
      config: this.config,
      rows: texts,
      batchSize: this.config.training.batchSize,
    });
  }

  /**
   * Evaluates the trained model: perplexity of the reference answers, and text metrics (BLEU, QA accuracy,
   * LLM judge) on answers generated with the `prediction` settings; writes `predictions/<name>.csv` with a row
   * per example (prompt, reference, prediction, per-row scores).
   * @param options - data (default: the run's validation set), metrics (default: the run's), table name
   * @returns metric values, directions, rows and warnings
   * @throws ExperimentSetupError when there is no data to evaluate on
   * @example
   * ```ts
   * const ev = await run.evaluate({ metrics: [Metrics.perplexity(), Metrics.bleu()] });
   * console.log(ev.metrics);
   * ```
   */
  async evaluate(
    options: { dataset?: Dataset; metrics?: RunMetric[]; name?: string; signal?: AbortSignal } = {},
  ): Promise<Evaluation> {
    const tokenizer = this.backbone.modelDir.tokenizer;
    const data =
      options.dataset && tokenizer
        ? options.dataset.tokenize({ tokenizer, ...tokenizeOptions(this.config) })
        : this.validation;
    if (!data) {
      throw new ExperimentSetupError("the run has no validation data", "Pass `{ dataset }` to evaluate on.");
    }
    const evaluation = await evaluateModel({
      backbone: this.backbone,
      data,
      metrics: options.metrics ?? this.metrics,
      prediction: this.config.prediction,
      batchSize: this.config.training.batchSize,
      signal: options.signal,
    });
    await this.store.writePredictions(options.name ?? "validation", predictionRecords(evaluation), "csv");
    return evaluation;
  }

  /** `completed`, `cancelled` or `failed`. */
  get status(): TrainLoopResult["status"] {
    return this.result.status;
  }

  /** The experiment folder. */
  get dir(): string {
    return this.store.dir;
  }

  /** Optimizer steps done. */
  get step(): number {
    return this.result.step;
  }

  /** Last training loss. */
  get finalLoss(): number | undefined {
    return this.result.loss;
  }

  /** Best validation value (metric name, value, step), or null when never evaluated. */
  get best(): TrainLoopResult["best"] {
    return this.result.best;
  }

  /** The failure of a failed run. */
  get error(): Error | undefined {
    return this.result.error;
  }

  /**
   * The step and eval records of metrics.jsonl.
   * @returns the records in order
   * @example
   * ```ts
   * const losses = run.history.filter((r) => r.type === "step").map((r) => r.loss);
   * ```
   */
  get history(): MetricRecord[] {
    return this.store.readMetrics();
  }

  /** A one-line summary. */
  toString(): string {
    const loss = this.finalLoss === undefined ? "" : ` loss=${this.finalLoss.toPrecision(4)}`;
    const best = this.best
      ? ` best ${this.best.metric}=${this.best.value.toPrecision(4)}@${this.best.step}`
      : "";
    return `Run ${this.store.id}: ${this.status} after ${this.step} steps${loss}${best}`;
  }
}
