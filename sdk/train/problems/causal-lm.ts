/**
 * `causal_lm`: learn to write the answer after the prompt. The mean cross-entropy over the answer tokens (the
 * fused, chunked LM head when the head is frozen), validation perplexity, and the generated-text metrics
 * (BLEU, QA accuracy, the LLM judge) scored at each evaluation from answers the model writes.
 */
import { Metrics } from "../../eval";
import type { ExperimentConfig } from "../config";
import { createCausalLmStep, type ProblemType, type RunMetric, validate } from "../trainer";
import { tokenBatches } from "./token-batches";
import { tokenizeOptions } from "./tokenize-options";

/** The causal language-modeling problem type. */
export const causalLm: ProblemType = {
  name: "causal_lm",
  produces: "text",
  metricNames: ["perplexity"],
  check: () => [],
  metrics(config: ExperimentConfig): RunMetric[] {
    const p = config.prediction;
    const chosen: Record<typeof p.metric, () => RunMetric> = {
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
