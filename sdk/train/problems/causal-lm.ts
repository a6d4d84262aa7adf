/**
 * `causal_lm`: learn to write the answer after the prompt. The mean cross-entropy over the answer tokens (the
 * fused, chunked LM head when the head is frozen), validation perplexity, and the generated-text metrics
 * (BLEU, QA accuracy, the LLM judge) scored at each evaluation from answers the model writes.
 */
import type { ConfigIssue } from "../../errors";
import { Metrics } from "../../eval";
import type { ExperimentConfig } from "../config";
import { createCausalLmStep, type ProblemType, type RunMetric, validate } from "../trainer";
import { tokenBatches } from "./token-batches";
import { tokenizeOptions } from "./tokenize-options";

const TEXT_METRICS = ["perplexity", "bleu", "qa_accuracy", "llm_judge"];

/** Settings causal LM cannot train with: several answer columns, a classifier's loss or metric. */
function checkCausalLm(config: ExperimentConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (Array.isArray(config.dataset.answerColumn) && config.dataset.answerColumn.length > 1)
    out.push({
      path: ["dataset", "answer_column"],
      message: `causal_lm learns one answer column, got ${config.dataset.answerColumn.length}; several label columns are for problem_type causal_classification (multi-label) or causal_regression`,
    });
  const loss = config.training.lossFunction;
  if (loss !== null && loss !== "TokenAveragedCrossEntropy")
    out.push({
      path: ["training", "loss_function"],
      message: `causal_lm trains with TokenAveragedCrossEntropy, got ${loss}; ${loss} is for problem_type ${/MSE|MAE/.test(loss) ? "causal_regression" : "causal_classification"}`,
    });
  const m = config.prediction.metric;
  if (!TEXT_METRICS.includes(m))
    out.push({
      path: ["prediction", "metric"],
      message: `causal_lm is validated with ${TEXT_METRICS.join(", ")}, got ${m}`,
    });
  return out;
}

/** The causal language-modeling problem type. */
export const causalLm: ProblemType = {
  name: "causal_lm",
  produces: "text",
  metricNames: ["perplexity"],
  check: checkCausalLm,
  metrics(config: ExperimentConfig): RunMetric[] {
    const p = config.prediction;
    const chosen: Record<string, () => RunMetric> = {
      perplexity: () => Metrics.perplexity(),
      bleu: () => Metrics.bleu(),
      qa_accuracy: () => Metrics.qaAccuracy(),
      llm_judge: () => Metrics.judge({ model: p.judgeModel }),
    };
    return p.metric === "perplexity" ? [chosen.perplexity()] : [chosen[p.metric](), Metrics.perplexity()];
  },
  async prepare({ config, dataset, tokenizer, onWarning }) {
    const { train, validation } = await dataset.prepare({
      tokenizer,
      ...tokenizeOptions(config),
      onWarning: (w) => onWarning(w.message),
    });
    const tokenMaskProbability = config.augmentation.tokenMaskProbability;
    return {
      train: tokenBatches(train, { tokenMaskProbability, packing: config.training.packing }),
      validation: validation && tokenBatches(validation),
    };
  },
  createStep: (o) => createCausalLmStep(o),
  validate,
};
