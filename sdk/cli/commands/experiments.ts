/** `tunebook experiments list|compare`: what is in the experiments folder. */
import type { Command } from "commander";
import { compareExperiments, formatComparisonValue, listExperiments } from "../../train/store";
import { type CliIo, runAction } from "../run-action";

/**
 * Renders rows as an aligned text table.
 * @param rows - records with the same keys
 * @param columns - the keys to show, in order
 * @returns the table, one line per row plus a header, ending with a newline
 * @example
 * ```ts
 * formatTable([{ a: 1, b: "x" }], ["a", "b"]);
 * ```
 */
export function formatTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cell = (v: unknown) =>
    typeof v === "number" || v === null || v === undefined ? formatComparisonValue(v) : String(v);
  return formatCells(
    columns,
    rows.map((r) => columns.map((c) => cell(r[c]))),
  );
}

/**
 * Aligns text cells under a header.
 * @param columns - the header
 * @param rows - one string per column in each row
 * @returns the table, one line per row plus the header, ending with a newline
 * @example
 * ```ts
 * formatCells(["a", "b"], [["1", "x"]]);
 * ```
 */
export function formatCells(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [columns.map(String), ...rows];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells
    .map(
      (row) =>
        `${row
          .map((c, i) => c.padEnd(widths[i]))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}

/**
 * Adds `experiments list` and `experiments compare`.
 * @param program - the root command
 * @param io - output streams
 * @example
 * ```ts
 * registerExperimentsCommand(program, processIo);
 * ```
 */
export function registerExperimentsCommand(program: Command, io: CliIo): void {
  const group = program.command("experiments").description("list and compare experiment folders");
  group
    .command("list")
    .description("one line per experiment under the root folder")
    .option("-r, --root <dir>", "experiments root folder", "./experiments")
    .option("--json", "print JSON instead of a table")
    .action(
      runAction(io, async (opts: { root: string; json?: boolean }) => {
        const list = listExperiments(opts.root);
        if (opts.json) io.out(`${JSON.stringify(list, null, 2)}\n`);
        else if (list.length === 0) io.out(`no experiments under ${opts.root}\n`);
        else {
          const cols = [
            "id",
            "status",
            "backbone",
            "step",
            "totalSteps",
            "trainLoss",
            "evalLoss",
            "bestEvalLoss",
          ];
          io.out(formatTable(list as unknown as Record<string, unknown>[], cols));
        }
      }),
    );
  group
    .command("compare [dirs...]")
    .description("settings that differ (not the names) and final metrics, side by side")
    .option("-r, --root <dir>", "experiments root folder (when no folders are given)", "./experiments")
    .option("--all", "show every setting, not only those that differ")
    .option("--json", "print JSON instead of a table")
    .action(
      runAction(io, async (dirs: string[], opts: { root: string; all?: boolean; json?: boolean }) => {
        const cmp = compareExperiments(dirs.length ? dirs : opts.root);
        if (opts.json) {
          io.out(
            `${JSON.stringify({ differingSettings: cmp.differingSettings, rows: cmp.rows }, null, 2)}\n`,
          );
          return;
        }
        if (cmp.rows.length === 0) {
          io.out("no experiments to compare\n");
          return;
        }
        const table = cmp.table({ settings: opts.all ? "all" : "differing" });
        io.out(formatCells(table.columns, table.cells));
      }),
    );
}
