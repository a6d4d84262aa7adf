/**
 * `tunebook search --config search.yaml [--set key=value …] [--dry-run]` runs a hyperparameter search;
 * `tunebook search status <dir> [--json]` prints its leaderboard.
 */
import type { Command } from "commander";
import { searchLeaderboard } from "../../automl/leaderboard";
import { loadSearchConfig, type SearchConfig } from "../../automl/search-config";
import { parseSearchSpace } from "../../automl/search-space";
import { ConfigError } from "../../errors";
import { checkDataFiles } from "../../train/experiment/run-inputs";
import { refuseUnsupported } from "../../train/experiment/unsupported-settings";
import { type CliHandlers, requireHandler } from "../registry";
import { type CliIo, runAction } from "../run-action";
import { withStopSignals } from "../stop-signals";
import { formatCells } from "./experiments";
import { collect } from "./train";

/** The search options with `--queue`, `--queue-name`, `--concurrency` and `--resume` applied. */
function withCommandLineQueue(
  options: SearchConfig["options"],
  opts: { queue?: string; queueName?: string; concurrency?: string; resume?: string },
): SearchConfig["options"] {
  const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    const message = `expected a positive integer, got '${opts.concurrency}'`;
    throw new ConfigError([{ path: ["concurrency"], message }], { source: "tunebook search" });
  }
  const url = opts.queue ?? options.queue?.url;
  if (!url && (opts.queueName || concurrency)) {
    const message =
      "--queue-name and --concurrency apply to a search on workers; add --queue redis://host:port";
    throw new ConfigError([{ path: ["queue"], message }], { source: "tunebook search" });
  }
  const queue = url
    ? {
        ...options.queue,
        url,
        ...(opts.queueName ? { name: opts.queueName } : {}),
        ...(concurrency ? { concurrency } : {}),
      }
    : undefined;
  return { ...options, ...(queue ? { queue } : {}), ...(opts.resume ? { resume: opts.resume } : {}) };
}

/**
 * Adds the `search` command.
 * @param program - the root command
 * @param handlers - the SDK functions
 * @param io - output streams
 * @example
 * ```ts
 * registerSearchCommand(program, cliHandlers, processIo);
 * ```
 */
export function registerSearchCommand(program: Command, handlers: CliHandlers, io: CliIo): void {
  program
    .command("search [status] [dir]")
    .description(
      "hyperparameter search (grid, random, TPE; median/ASHA pruning); `search status <dir>` shows a leaderboard",
    )
    .option("-c, --config <file>", "experiment config with a `search:` block")
    .option("-s, --set <key=value>", "override a setting of the base experiment (repeatable)", collect, [])
    .option("--dry-run", "validate and print the search's space, strategy and budget, then stop")
    .option(
      "-q, --queue <url>",
      "run the trials on `tunebook worker` processes through Redis at this address",
    )
    .option("--queue-name <name>", "with --queue: the queue's name (default tunebook)")
    .option(
      "--concurrency <n>",
      "with --queue: trials queued or running at once (default: the workers listening)",
    )
    .option("--resume <dir>", "continue the search in this folder (its process was killed or stopped)")
    .option("--json", "with status: print JSON instead of a table")
    .action(
      runAction(
        io,
        async (
          sub: string | undefined,
          dir: string | undefined,
          opts: {
            config?: string;
            set: string[];
            dryRun?: boolean;
            json?: boolean;
            queue?: string;
            queueName?: string;
            concurrency?: string;
            resume?: string;
          },
        ) => {
          if (sub !== undefined && sub !== "status") {
            const message = `expected \`search --config <file>\` or \`search status <dir>\`, got '${sub}'`;
            throw new ConfigError([{ path: [], message }], { source: "tunebook search" });
          }
          if (sub === "status") {
            if (!dir)
              throw new ConfigError([{ path: ["dir"], message: "name the search folder" }], {
                source: "tunebook search status",
              });
            const board = searchLeaderboard(dir);
            io.out(
              opts.json
                ? `${JSON.stringify(board.rows, null, 2)}\n`
                : formatCells(board.columns, board.cells),
            );
            return;
          }
          if (!opts.config) {
            throw new ConfigError(
              [{ path: ["config"], message: "expected --config <file> with a `search:` block" }],
              {
                source: "tunebook search",
              },
            );
          }
          const loaded = loadSearchConfig(opts.config, opts.set);
          const { config } = loaded;
          const options = withCommandLineQueue(loaded.options, opts);
          checkDataFiles(config, opts.config);
          refuseUnsupported(config);
          if (opts.dryRun) {
            const space = parseSearchSpace(options.space);
            const lines = space.dimensions.map(
              (d) =>
                `  ${d.path}: ${d.kind === "choice" ? JSON.stringify(d.values) : `${d.kind} [${d.low}, ${d.high}]`}${d.when ? ` when ${d.when.path} in ${JSON.stringify(d.when.in)}` : ""}`,
            );
            io.out(
              `strategy: ${options.strategy}\nbudget: ${JSON.stringify(options.budget)}\n` +
                (options.queue
                  ? `queue: ${options.queue.url} (${options.queue.name ?? "tunebook"}), trials on workers\n`
                  : "") +
                `space:\n${lines.join("\n")}\n`,
            );
            return;
          }
          const search = requireHandler(handlers, "search", "search");
          await withStopSignals(io, (signal) => search({ config, options, signal }));
        },
      ),
    );
}
