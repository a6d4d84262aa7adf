/** Ctrl-C / SIGTERM for long commands: the first signal stops after the current step, a second one exits. */
import type { CliIo } from "./run-action";

/**
 * Runs `work` with an AbortSignal that SIGINT or SIGTERM fires (after printing what happens); a second signal
 * exits at once (130 for SIGINT, 143 for SIGTERM).
 * @param io - where the notice is printed
 * @param work - the command's work, given the signal
 * @returns what `work` returns
 * @example
 * ```ts
 * await withStopSignals(io, (signal) => train({ ...input, signal }));
 * ```
 */
export async function withStopSignals<T>(io: CliIo, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    const again = signal === "SIGINT" ? "Ctrl-C again to force" : `${signal} again to force`;
    io.err(`\nstopping after the current step (${again})…\n`);
    controller.abort();
    process.once(signal, () => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
