/**
 * The values of `problem_type`. Each name has one implementation in `sdk/train/problems/` (one file plus one
 * line in its registry); the registry is typed so that a name here without an implementation does not compile.
 */

/** Every problem type, with the one-line description the config schema shows. */
export const PROBLEM_TYPE_DESCRIPTIONS = {
  causal_lm: "causal language modeling: learn to write the answer after the prompt",
  dpo: "preference optimisation (DPO and its family): prefer the chosen answer of each pair to the rejected one",
  grpo: "GRPO: online RL that samples completions per prompt and raises rewards computed by your functions",
  causal_classification:
    "classify the prompt: binary, multi-class or multi-label labels from answer_column, by a head on the last token",
  causal_regression: "predict one or more numbers from the prompt, by a head on the last token",
} as const;

/** A `problem_type` value. */
export type ProblemTypeName = keyof typeof PROBLEM_TYPE_DESCRIPTIONS;

/** The `problem_type` values, in the order they are listed in errors and docs. */
export const PROBLEM_TYPE_NAMES = Object.keys(PROBLEM_TYPE_DESCRIPTIONS) as [
  ProblemTypeName,
  ...ProblemTypeName[],
];
