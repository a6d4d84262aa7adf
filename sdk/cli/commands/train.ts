/** `tunebook train --config exp.yaml [--set key=value …] [--dry-run]` and `tunebook train --resume <experiment>`. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../errors";
import { applyOverrides, configToYaml, type ExperimentConfig, loadConfigFile } from "../../train/config";
import { createProgressRenderer } from "../progress";
import { type CliHandlers, requireHandler } from "../registry";
import { type CliIo, runAction } from "../run-action";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Checks what the schema cannot: that the data files the config names exist (relative to the cwd). */
function checkFiles(config: ExperimentConfig, source: string): void {
  const files: [string, string | null][] = [
    ["train_file", config.dataset.trainFile],
    ["validation_file", config.dataset.validationFile],
  ];
  const issues = files
    .filter(([, file]) => file !== null && !fs.existsSync(path.resolve(file)))
    .map(([key, file]) => ({
      path: ["dataset", key],
      message: `expected an existing file, got ${JSON.stringify(file)} (not found from ${process.cwd()})`,
    }));
  if (issues.length) throw new ConfigError(issues, { source });
}

/**
 * Loads, overrides and fully validates a training configuration, as `tunebook train` does before any work.
 * @param configPath - the YAML or JSON file
 * @param overrides - `key=value` strings
 * @returns the validated configuration
 * @throws ConfigError naming every invalid field
 * @example
 * ```ts
 * const config = resolveTrainConfig("exp.yaml", ["training.epochs=2"]);
 * ```
 */
export function resolveTrainConfig(configPath: string, overrides: readonly string[]): ExperimentConfig {
  const config = applyOverrides(loadConfigFile(configPath), overrides);
  checkFiles(config, configPath);
  return config;
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
    .option("-r, --resume <experiment>", "continue an experiment folder from its last checkpoint")
    .option(
      "-s, --set <key=value>",
      "override a setting, e.g. training.learning_rate=1e-4 (repeatable)",
      collect,
      [],
    )
    .option("--dry-run", "validate and print the resolved config, then stop")
    .option("--progress-interval <seconds>", "seconds between progress lines when not on a terminal", "10")
    .action(
      runAction(
        io,
        async (opts: {
          config?: string;
          resume?: string;
          set: string[];
          dryRun?: boolean;
          progressInterval: string;
        }) => {
          if ((opts.config === undefined) === (opts.resume === undefined)) {
            const message = "expected exactly one of --config <file> or --resume <experiment>";
            throw new ConfigError([{ path: ["config"], message }], { source: "tunebook train" });
          }
          const config = opts.config === undefined ? undefined : resolveTrainConfig(opts.config, opts.set);
          if (opts.dryRun && config) {
            io.out(configToYaml(config));
            return;
          }
          const train = requireHandler(handlers, "train", "train");
          const controller = new AbortController();
          const onSigint = () => {
            io.err("\nstopping after the current step (Ctrl-C again to force)…\n");
            controller.abort();
            process.once("SIGINT", () => process.exit(130));
          };
          process.once("SIGINT", onSigint);
          try {
            const progress = createProgressRenderer({ intervalSeconds: Number(opts.progressInterval) || 10 });
            await train({
              config,
              configPath: opts.config,
              resume: opts.resume,
              callbacks: [progress],
              signal: controller.signal,
            });
          } finally {
            process.off("SIGINT", onSigint);
          }
        },
      ),
    );
}
