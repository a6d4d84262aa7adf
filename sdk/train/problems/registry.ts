/**
 * Every problem type, by its `problem_type` value: one line each. The record is typed by the names the config
 * schema accepts (`sdk/train/config/problem-type-names.ts`), so a name without an implementation, or an
 * implementation under another name, does not compile.
 */
import { ConfigError } from "../../errors";
import { PROBLEM_TYPE_NAMES, type ProblemTypeName } from "../config";
import type { ProblemType } from "../trainer";
import { causalClassification } from "./causal-classification";
import { causalLm } from "./causal-lm";
import { causalRegression } from "./causal-regression";
import { dpo } from "./dpo";
import { grpo } from "./grpo";

const PROBLEM_TYPES: { readonly [K in ProblemTypeName]: ProblemType & { name: K } } = {
  causal_lm: causalLm as ProblemType & { name: "causal_lm" },
  dpo: dpo as ProblemType & { name: "dpo" },
  grpo: grpo as ProblemType & { name: "grpo" },
  causal_classification: causalClassification as ProblemType & { name: "causal_classification" },
  causal_regression: causalRegression as ProblemType & { name: "causal_regression" },
};

/**
 * The implementation of a problem type.
 * @param name - a `problem_type` value
 * @returns its implementation
 * @throws ConfigError for a name that is not a problem type, listing those that are
 * @example
 * ```ts
 * const problem = problemType(config.problemType);
 * const { train, validation } = await problem.prepare({ config, dataset, tokenizer, onWarning: console.warn });
 * ```
 */
export function problemType(name: string): ProblemType {
  const found = (PROBLEM_TYPES as Record<string, ProblemType | undefined>)[name];
  if (!found) {
    throw new ConfigError([
      {
        path: ["problem_type"],
        message: `'${name}' is not a problem type; expected one of ${PROBLEM_TYPE_NAMES.join(", ")}`,
      },
    ]);
  }
  return found;
}
