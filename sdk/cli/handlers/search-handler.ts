/** `tunebook search`: runs the search and prints a line per trial, then the leaderboard. */
import { searchLeaderboard } from "../../automl/leaderboard";
import { runSearch } from "../../automl/run-search";
import { Experiment } from "../../train";
import { formatNumber } from "../../util";
import { formatCells } from "../commands/experiments";
import type { SearchCommandInput } from "../registry";

/**
 * Runs a search from a resolved search file.
 * @param input - base config, search options, stop signal
 * @returns when the search ends
 * @example
 * ```ts
 * await searchHandler({ config, options, signal });
 * ```
 */
export async function searchHandler(input: SearchCommandInput): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  const settings = (p: Record<string, unknown>) =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${typeof v === "number" ? formatNumber(v) : JSON.stringify(v)}`)
      .join(" ");
  const result = await runSearch(Experiment.fromConfig(input.config), {
    ...input.options,
    signal: input.signal,
    callbacks: {
      onTrialStart: (t) => void out(`trial ${t.number}: ${settings(t.params)}\n`),
      onTrialEnd: (t) => {
        const value = t.value === undefined ? "" : ` ${formatNumber(t.value)}`;
        out(`trial ${t.number} ${t.state}${value}${t.reason ? ` (${t.reason})` : ""}\n`);
      },
    },
  });
  const board = searchLeaderboard(result.dir);
  out(`\nsearch stopped by ${result.stoppedBy}; folder: ${result.dir}\n`);
  out(formatCells(board.columns, board.cells));
  if (input.signal.aborted) process.exitCode = 130;
}
