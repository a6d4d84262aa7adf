/**
 * Settings of the experiment schema that the trainer does not implement yet: refused with a clear error before
 * any folder is created or model loaded, so no setting is silently ignored.
 */
import type { ExperimentConfig } from "../config";
import { ExperimentSetupError } from "./experiment-setup-error";

/**
 * Refuses settings the trainer does not implement yet, before any folder is created or model loaded.
 * @param config - the resolved configuration
 * @returns nothing
 * @throws ExperimentSetupError naming the setting and what to set instead
 * @example
 * ```ts
 * refuseUnsupported(exp.config);
 * ```
 */
export function refuseUnsupported(config: ExperimentConfig): void {
  if (config.training.packing) {
    throw new ExperimentSetupError(
      "training.packing is not supported by the trainer yet",
      "Set training.packing to false (short samples are padded per batch instead).",
    );
  }
  const { skipParentProbability, randomParentProbability } = config.augmentation;
  if (skipParentProbability > 0 || randomParentProbability > 0) {
    throw new ExperimentSetupError(
      "augmentation.skip_parent_probability and augmentation.random_parent_probability are not supported yet " +
        `(found ${skipParentProbability} and ${randomParentProbability}; conversations are tokenized once per run)`,
      "Set both to 0; token_mask_probability and neftune_noise_alpha are supported.",
    );
  }
}
