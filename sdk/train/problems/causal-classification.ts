/**
 * `causal_classification` (H2O LLM Studio's text_causal_classification_modeling): a linear head `score` on the
 * hidden state of the prompt's last token predicts binary (one 0/1 column, `num_classes: 1`, binary
 * cross-entropy), multi-class (one column of 0…K−1, `num_classes: K`, cross-entropy) or multi-label (K 0/1
 * columns, binary cross-entropy) labels from `dataset.answer_column`; validated with AUC, accuracy and log-loss.
 */

import { scoreProblem } from "./score-problem";
import { checkClassification, classificationSettings } from "./score-settings";

/** The causal classification problem type. */
export const causalClassification = scoreProblem({
  name: "causal_classification",
  settings: classificationSettings,
  check: checkClassification,
  metricNames: ["auc", "accuracy", "log_loss"],
});
