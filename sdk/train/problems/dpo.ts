/**
 * `dpo`: preference optimisation on pairs of answers to the same prompt (H2O LLM Studio's
 * `text_dpo_modeling`). Each row has a chosen answer (`dataset.answer_column`) and a rejected one
 * (`dataset.rejected_answer_column`, with its own prompt in `dataset.rejected_prompt_column` if set); the
 * loss (`training.loss_function`: DPOLoss, DPOHingeLoss, DPOIPOLoss, KTOPairLoss, CPOLoss, SimPOLoss, ORPOLoss)
 * raises the chosen answer's log-probability against the rejected one's, relative to the reference model (the
 * backbone with its adapters off, in the same graph) for the losses that have one. Validation reports the
 * reward accuracy (the share of pairs whose chosen reward is above the rejected one), the mean reward margin
 * and the mean chosen and rejected log-probabilities; the first picks the best checkpoint. The trained model
 * writes text, like a causal LM.
 */
import type { Dataset } from "../../data";
import { ConfigError, type ConfigIssue } from "../../errors";
import { Metrics } from "../../eval";
import type { ExperimentConfig } from "../config";
import {
  createPreferenceStep,
  PREFERENCE_LOSSES,
  type PreferenceLossName,
  type PreferenceLossSettings,
  preferenceSettingsProblems,
} from "../preference";
import type { ProblemType, RunMetric, ValidationResult } from "../trainer";
import { pairBatches } from "./pair-batches";
import { tokenizeOptions } from "./tokenize-options";

/** The metrics {@link dpo}'s validation computes, in the order they are reported. */
const DPO_METRICS = [
  { name: "reward_accuracy", direction: "max" },
  { name: "reward_margin", direction: "max" },
  { name: "chosen_logps", direction: "max" },
  { name: "rejected_logps", direction: "min" },
] as const;

/**
 * A metric whose value the problem's validation computes itself (from the step's per-pair outputs). Scoring it
 * from generated answers (`run.evaluate()`, `tunebook eval`) is not possible: it says so.
 */
function computedMetric(m: (typeof DPO_METRICS)[number]): RunMetric {
  return {
    ...m,
    compute: async () => {
      throw new Error(
        `${m.name} is computed by problem_type dpo's validation during training (see metrics.jsonl); ` +
          "evaluating a trained model afterwards scores its answers: pass metrics such as Metrics.perplexity() or Metrics.bleu()",
      );
    },
  };
}

/**
 * The preference-loss settings of a configuration.
 * @param config - the configuration (its `training` group)
 * @returns the loss name and settings (`DPOLoss` when `training.loss_function` is null)
 * @example
 * ```ts
 * preferenceSettings(config).beta; // 0.2 by default, as H2O LLM Studio
 * ```
 */
export function preferenceSettings(config: ExperimentConfig): PreferenceLossSettings {
  const t = config.training;
  return {
    lossFunction: (t.lossFunction ?? "DPOLoss") as PreferenceLossName,
    beta: t.beta,
    simpoGamma: t.simpoGamma,
    labelSmoothing: t.labelSmoothing,
    cpoAlpha: t.cpoAlpha,
  };
}

const SETTING_PATHS: Record<string, string[]> = {
  lossFunction: ["training", "loss_function"],
  beta: ["training", "beta"],
  simpoGamma: ["training", "simpo_gamma"],
  labelSmoothing: ["training", "label_smoothing"],
  cpoAlpha: ["training", "cpo_alpha"],
};

function check(config: ExperimentConfig): ConfigIssue[] {
  const d = config.dataset;
  const issues: ConfigIssue[] = [];
  const name = config.training.lossFunction;
  if (name !== null && !(PREFERENCE_LOSSES as readonly string[]).includes(name)) {
    issues.push({
      path: ["training", "loss_function"],
      message: `'${name}' is not a loss of problem_type dpo; expected one of ${PREFERENCE_LOSSES.join(", ")}`,
    });
  } else {
    for (const [key, message] of preferenceSettingsProblems(preferenceSettings(config)))
      issues.push({ path: SETTING_PATHS[key], message });
  }
  if (!d.rejectedAnswerColumn)
    issues.push({
      path: ["dataset", "rejected_answer_column"],
      message:
        "problem_type dpo needs the column of the rejected answers (the chosen ones are answer_column)",
    });
  if (d.messagesColumn || d.textColumn)
    issues.push({
      path: ["dataset", d.messagesColumn ? "messages_column" : "text_column"],
      message: "problem_type dpo reads prompt, answer and rejected answer columns; set this to null",
    });
  if (config.training.packing)
    issues.push({
      path: ["training", "packing"],
      message:
        "problem_type dpo batches each pair's two answers side by side, unpacked: set packing to false",
    });
  if (!config.lora.enabled)
    issues.push({
      path: ["lora", "enabled"],
      message:
        "problem_type dpo trains LoRA adapters: its reference model is the backbone with the adapters off",
    });
  return issues;
}

/** The same dataset with the rejected answers (and rejected prompts) in place of the chosen ones. */
function rejectedSide(dataset: Dataset, config: ExperimentConfig): Dataset {
  const mapping = dataset.columnMapping();
  const d = config.dataset;
  if (mapping.answer === undefined || mapping.prompt === undefined) {
    throw new ConfigError([
      {
        path: ["dataset", "answer_column"],
        message:
          "problem_type dpo needs prompt and answer columns (the chosen answer); messages or text data have none",
      },
    ]);
  }
  return dataset.columns({
    ...mapping,
    answer: d.rejectedAnswerColumn ?? mapping.answer,
    prompt: d.rejectedPromptColumn ?? mapping.prompt,
  });
}

/** Means of the per-pair outputs of a validation pass, as the metrics. */
function pairMetrics(
  chosenRewards: number[],
  rejectedRewards: number[],
  chosen: number[],
  rejected: number[],
) {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const wins = chosenRewards.map((c, i) => (c > rejectedRewards[i] ? 1 : 0));
  return {
    reward_accuracy: mean(wins),
    reward_margin: mean(chosenRewards.map((c, i) => c - rejectedRewards[i])),
    chosen_logps: mean(chosen),
    rejected_logps: mean(rejected),
  };
}

/** The preference-optimisation problem type. */
export const dpo: ProblemType = {
  name: "dpo",
  produces: "text",
  metricNames: DPO_METRICS.map((m) => m.name),
  check,
  metrics(config: ExperimentConfig): RunMetric[] {
    const p = config.prediction;
    const generated: Partial<Record<typeof p.metric, () => RunMetric>> = {
      bleu: () => Metrics.bleu(),
      qa_accuracy: () => Metrics.qaAccuracy(),
      llm_judge: () => Metrics.judge({ model: p.judgeModel }),
    };
    const extra = generated[p.metric];
    return [...DPO_METRICS.map(computedMetric), ...(extra ? [extra()] : [])];
  },
  async prepare({ config, dataset, tokenizer, onWarning }) {
    const options = {
      tokenizer,
      ...tokenizeOptions(config),
      onWarning: (w: { message: string }) => onWarning(w.message),
    };
    const chosen = await dataset.prepare(options);
    const rejected = await rejectedSide(dataset, config).prepare({
      ...options,
      onWarning: (w: { message: string }) => onWarning(`rejected answers: ${w.message}`),
    });
    return {
      train: pairBatches(chosen.train, rejected.train),
      validation:
        chosen.validation && rejected.validation && pairBatches(chosen.validation, rejected.validation),
    };
  },
  createStep: (o) =>
    createPreferenceStep({
      ...o,
      loss: preferenceSettings(o.config),
      fileName: "dpo-step.onnx",
    }),
  async validate({ step, data, batchSize, metrics }): Promise<ValidationResult> {
    const values = {
      chosenRewards: [] as number[],
      rejectedRewards: [] as number[],
      chosen: [] as number[],
      rejected: [] as number[],
    };
    let lossSum = 0;
    for (const batch of data.batches({ batchSize: Math.min(batchSize, data.length), shuffle: false })) {
      const r = await step.evaluate(await batch.feeds(-1));
      lossSum += r.loss * batch.numTargetTokens;
      const read = (name: string) => Array.from(r.outputs[name].data as Float32Array);
      values.chosenRewards.push(...read("chosen_rewards"));
      values.rejectedRewards.push(...read("rejected_rewards"));
      values.chosen.push(...read("chosen_logps"));
      values.rejected.push(...read("rejected_logps"));
    }
    const computed: Record<string, number> = pairMetrics(
      values.chosenRewards,
      values.rejectedRewards,
      values.chosen,
      values.rejected,
    );
    const names = new Set<string>(DPO_METRICS.map((m) => m.name));
    const result: Record<string, number> = {};
    for (const m of metrics) if (names.has(m.name)) result[m.name] = computed[m.name];
    return {
      loss: lossSum / data.length,
      metrics: result,
      generated: metrics.filter((m) => !names.has(m.name)),
      warnings: [],
    };
  },
};
