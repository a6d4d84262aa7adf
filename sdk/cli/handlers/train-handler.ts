/** `tunebook train`: runs (or resumes) an experiment and fails the process when the run fails. */
import { Experiment, formatResumePlan, type Run } from "../../train";
import type { TrainCommandInput } from "../registry";

/**
 * Trains from a validated config, or resumes an experiment folder (or, with `dryRun`, prints the resume's
 * plan); prints the run's summary.
 * @param input - config or resume folder (with checkpoint, overrides, dry run), subscribers, signal
 * @returns when the run ends
 * @throws the run's error when it failed (the CLI exits 1)
 * @example
 * ```ts
 * await trainHandler({ config, configPath: "exp.yaml", callbacks: [], signal });
 * ```
 */
export async function trainHandler(input: TrainCommandInput): Promise<void> {
  const options = { callbacks: input.callbacks, signal: input.signal, display: false };
  const resumeOptions = { checkpoint: input.checkpoint, overrides: input.overrides };
  if (input.resume && input.dryRun) {
    const plan = await Experiment.planResume(input.resume, { ...resumeOptions, checkData: true });
    process.stdout.write(formatResumePlan(plan));
    return;
  }
  let run: Run;
  if (input.resume) run = await Experiment.resume(input.resume, { ...options, ...resumeOptions });
  else if (input.config) run = await Experiment.fromConfig(input.config).fit(options);
  else throw new Error("train needs a config or an experiment folder to resume");
  try {
    process.stdout.write(`${run.toString()}\nexperiment folder: ${run.dir}\n`);
    if (run.status === "failed") throw run.error ?? new Error("the run failed");
    if (run.status === "cancelled") process.exitCode = 130;
  } finally {
    await run.backbone.dispose();
  }
}
