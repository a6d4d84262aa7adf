/**
 * Settings of the experiment schema that the trainer does not implement yet: refused with a clear error before
 * any folder is created or model loaded, so no setting is silently ignored.
 */
import { ConfigError } from "../../errors";
import type { ExperimentConfig } from "../config";
import { problemType } from "../problems";
import { ExperimentSetupError } from "./experiment-setup-error";

/** A setting the trainer cannot honour yet: when it applies, what is wrong, and what to set instead. */
interface Unsupported {
  applies(config: ExperimentConfig): boolean;
  problem(config: ExperimentConfig): string;
  fix: string;
}

const UNSUPPORTED: readonly Unsupported[] = [
  {
    applies: (c) => c.augmentation.skipParentProbability > 0 || c.augmentation.randomParentProbability > 0,
    problem: ({ augmentation: a }) =>
      "augmentation.skip_parent_probability and augmentation.random_parent_probability are not supported yet " +
      `(found ${a.skipParentProbability} and ${a.randomParentProbability}; conversations are tokenized once per run)`,
    fix: "Set both to 0; token_mask_probability and neftune_noise_alpha are supported.",
  },
  {
    applies: (c) => c.architecture.backboneDtype !== "float32" && c.environment.device === "cuda",
    problem: (c) =>
      `architecture.backbone_dtype "${c.architecture.backboneDtype}" is not available on the cuda execution ` +
      "provider yet (the quantized and 16-bit paths are implemented and tested on the CPU provider only)",
    fix: 'Set architecture.backbone_dtype to float32 on cuda, or environment.device to "cpu".',
  },
  {
    applies: (c) => c.architecture.intermediateDropout > 0,
    problem: (c) =>
      `architecture.intermediate_dropout ${c.architecture.intermediateDropout} is not supported yet (dropout is applied to the LoRA adapters' input only)`,
    fix: "Set it to 0 and use lora.dropout.",
  },
];

/**
 * Refuses settings the trainer does not implement yet, and settings the problem type finds wrong (its `check`),
 * before any folder is created or model loaded.
 * @param config - the resolved configuration
 * @returns nothing
 * @throws ExperimentSetupError naming the setting and what to set instead; ConfigError with the problem type's
 *   issues
 * @example
 * ```ts
 * refuseUnsupported(exp.config);
 * ```
 */
export function refuseUnsupported(config: ExperimentConfig): void {
  const found = UNSUPPORTED.find((u) => u.applies(config));
  if (found) throw new ExperimentSetupError(found.problem(config), found.fix);
  const issues = problemType(config.problemType).check(config);
  if (issues.length) throw new ConfigError(issues, { source: `problem_type ${config.problemType}` });
}

/**
 * Whether the trainer implements every setting of a configuration (what {@link refuseUnsupported} checks).
 * @param config - the configuration
 * @returns true when nothing would be refused
 * @example
 * ```ts
 * isSupported({ ...config, architecture: { ...config.architecture, gradientCheckpointing: true } });
 * ```
 */
export function isSupported(config: ExperimentConfig): boolean {
  return !UNSUPPORTED.some((u) => u.applies(config));
}
