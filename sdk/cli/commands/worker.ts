/**
 * `tunebook worker --queue redis://host:port [--queue-name tunebook] [--concurrency N] [--lock-seconds S]`
 * trains a search's trials taken from its job queue, until Ctrl-C.
 */
import type { Command } from "commander";
import { ConfigError } from "../../errors";
import { type CliHandlers, requireHandler } from "../registry";
import { type CliIo, runAction } from "../run-action";
import { withStopSignals } from "../stop-signals";

function positive(flag: string, integer: boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      const message = `expected a positive ${integer ? "integer" : "number"}, got '${value}'`;
      throw new ConfigError([{ path: [flag], message }], { source: "tunebook worker" });
    }
    return n;
  };
}

/**
 * Adds the `worker` command.
 * @param program - the root command
 * @param handlers - the SDK functions
 * @param io - output streams
 * @example
 * ```ts
 * registerWorkerCommand(program, cliHandlers, processIo);
 * ```
 */
export function registerWorkerCommand(program: Command, handlers: CliHandlers, io: CliIo): void {
  program
    .command("worker")
    .description("train the trials of searches started with a job queue (`search --queue`), until Ctrl-C")
    .requiredOption("-q, --queue <url>", "the Redis address of the queue, e.g. redis://127.0.0.1:6379")
    .option("--queue-name <name>", "the queue's name (the search's `queue.name`)", "tunebook")
    .option("--concurrency <n>", "trials trained at once in this process", positive("concurrency", true), 1)
    .option(
      "--lock-seconds <s>",
      "a killed worker's trial is taken over by another after about this long; keep it above one step's time",
      positive("lock-seconds", false),
      60,
    )
    .action(
      runAction(
        io,
        async (opts: { queue: string; queueName: string; concurrency: number; lockSeconds: number }) => {
          const worker = requireHandler(handlers, "worker", "worker");
          await withStopSignals(io, (signal) =>
            worker({
              url: opts.queue,
              queue: opts.queueName,
              concurrency: opts.concurrency,
              lockSeconds: opts.lockSeconds,
              signal,
            }),
          );
        },
      ),
    );
}
