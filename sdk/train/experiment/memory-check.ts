/**
 * Refuses a run whose plan does not fit in the memory available, before anything is loaded.
 */
import { type ExperimentPlan, fixesText, formatBytes } from "../plan";
import { ExperimentSetupError } from "./experiment-setup-error";

/**
 * Throws when the plan's peak exceeds the memory available, naming the figures and the settings that would fit.
 * @param plan - from `planExperiment`
 * @returns nothing when it fits
 * @throws ExperimentSetupError with the predicted peak, the available memory and the fixes
 * @example
 * ```ts
 * refuseOverMemory(await planExperiment(config));
 * ```
 */
export function refuseOverMemory(plan: ExperimentPlan): void {
  if (plan.fits) return;
  const { available } = plan;
  throw new ExperimentSetupError(
    `the run needs about ${formatBytes(plan.peakBytes)} at its peak and ${formatBytes(available.bytes)} is available ` +
      `(${available.source}); print the plan with exp.plan() or tunebook train --plan`,
    `${fixesText(plan)} (Set TUNEBOOK_MEMORY_LIMIT_MB to a larger figure to run anyway.)`,
  );
}
