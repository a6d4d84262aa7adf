/**
 * `tunebook train --config exp.yaml [--set key=value …] [--dry-run]` and
 * `tunebook train --resume <experiment> [--checkpoint last|best] [--set key=value …] [--dry-run]`.
 */
import type { Command } from "commander";
import { ConfigError } from "../../errors";
import { applyOverrides, configToYaml, type ExperimentConfig, loadConfigFile } from "../../train/config";
import { Experiment } from "../../train/experiment/experiment";
import { refuseOverMemory } from "../../train/experiment/memory-check";
import { checkDataFiles } from "../../train/experiment/run-inputs";
import { isSupported, refuseUnsupported } from "../../train/experiment/unsupported-settings";
import { formatPlan, planExperiment } from "../../train/plan";
import { createProgressRenderer } from "../progress";
import { type CliHandlers, requireHandler } from "../registry";
import { type CliIo, runAction } from "../run-action";
import { withStopSignals } from "../stop-signals";

/** Commander's accumulator for a repeatable option (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Loads, overrides and fully validates a training configuration, as `tunebook train` does before any work
 * (with or without `--dry-run`): the schema, that the data files exist, and that the trainer supports every
 * setting (the same check `fit()` makes).
 * @param configPath - the YAML or JSON file
 * @param overrides - `key=value` strings
 * @returns the validated configuration
 * @throws ConfigError naming every invalid field; ExperimentSetupError for a setting the trainer does not support
 * @example
 * ```ts
 * const config = resolveTrainConfig("exp.yaml", ["training.epochs=2"]);
 * ```
 */
export function resolveTrainConfig(configPath: string, overrides: readonly string[]): ExperimentConfig {
  const config = applyOverrides(loadConfigFile(configPath), overrides);
  checkDataFiles(config, configPath);
  refuseUnsupported(config);
  return config;
}

function parseCheckpoint(value: string): "best" | "last" {
  if (value === "best" || value === "last") return value;
  const message = `expected last or best, got ${JSON.stringify(value)}`;
  throw new ConfigError([{ path: ["checkpoint"], message }], { source: "tunebook train --checkpoint" });
}

/**
 * Adds the `train` command.
 * @param program - the root command
 * @param handlers - the SDK functions
 * @param io - output streams
 * @example
 * ```ts
 * registerTrainCommand(program, cliHandlers, processIo);
 * ```
 */
export function registerTrainCommand(program: Command, handlers: CliHandlers, io: CliIo): void {
  program
    .command("train")
    .description("fine-tune a model as described by an experiment config (YAML or JSON)")
    .option("-c, --config <file>", "experiment config file")
    .option("-r, --resume <experiment>", "continue an experiment folder from a checkpoint")
    .option("--checkpoint <name>", "with --resume: the checkpoint to continue from, last or best", "last")
    .option(
      "-s, --set <key=value>",
      "override a setting, e.g. training.learning_rate=1e-4 (repeatable; with --resume only settings that " +
        "do not change the trained values, e.g. training.evaluation_epochs)",
      collect,
      [],
    )
    .option("--dry-run", "validate and print the resolved config (with --resume: the plan), then stop")
    .option(
      "--plan",
      "print the predicted peak memory and step time on this machine (nothing is loaded), then stop; " +
        "exits 1 when the run would not fit, naming the settings that would",
    )
    .option("--progress-interval <seconds>", "seconds between progress lines when not on a terminal", "10")
    .action(
      runAction(
        io,
        async (opts: {
          config?: string;
          resume?: string;
          checkpoint: string;
          set: string[];
          dryRun?: boolean;
          plan?: boolean;
          progressInterval: string;
        }) => {
          if ((opts.config === undefined) === (opts.resume === undefined)) {
            const message = "expected exactly one of --config <file> or --resume <experiment>";
            throw new ConfigError([{ path: ["config"], message }], { source: "tunebook train" });
          }
          const checkpoint = parseCheckpoint(opts.checkpoint);
          if (opts.resume === undefined && checkpoint !== "last") {
            const message = "--checkpoint chooses where a resume continues from; use it with --resume";
            throw new ConfigError([{ path: ["checkpoint"], message }], { source: "tunebook train" });
          }
          const config = opts.config === undefined ? undefined : resolveTrainConfig(opts.config, opts.set);
          if (opts.plan) {
            const planned =
              config ?? (await Experiment.planResume(opts.resume as string, { overrides: opts.set })).config;
            const plan = await planExperiment(planned, { supported: isSupported });
            io.out(`${formatPlan(plan)}\n`);
            refuseOverMemory(plan);
            return;
          }
          if (opts.dryRun && config) {
            io.out(configToYaml(config));
            return;
          }
          const train = requireHandler(handlers, "train", "train");
          const progress = createProgressRenderer({ intervalSeconds: Number(opts.progressInterval) || 10 });
          await withStopSignals(io, (signal) =>
            train({
              config,
              configPath: opts.config,
              resume: opts.resume,
              checkpoint,
              overrides: opts.resume === undefined ? undefined : opts.set,
              dryRun: opts.dryRun,
              callbacks: [progress],
              signal,
            }),
          );
        },
      ),
    );
}
