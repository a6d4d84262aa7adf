/**
 * `causal_regression` (H2O LLM Studio's text_causal_regression_modeling): a linear head `score` on the hidden
 * state of the prompt's last token predicts one value per numeric column of `dataset.answer_column`, trained
 * with MSE (`MSELoss`, the default) or MAE (`MAELoss`); validated with MSE and MAE.
 */

import { scoreProblem } from "./score-problem";
import { checkRegression, regressionSettings } from "./score-settings";

/** The causal regression problem type. */
export const causalRegression = scoreProblem({
  name: "causal_regression",
  settings: regressionSettings,
  check: checkRegression,
  metricNames: ["mse", "mae"],
});
