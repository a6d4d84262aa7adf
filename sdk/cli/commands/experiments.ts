/** `tunebook experiments list|compare`: what is in the experiments folder. */
import type { Command } from "commander";
import { compareExperiments, listExperiments } from "../../train/store";
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
  const cell = (v: unknown) => {
    if (v === undefined || v === null) return "-";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(5);
    return String(v);
  };
  const cells = [columns.map(String), ...rows.map((r) => columns.map((c) => cell(r[c])))];
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
    .description("settings that differ and final metrics, side by side")
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
        const base = ["id", "status", "step", "train_loss", "eval_loss", "best_eval_loss"];
        const metrics = [
          ...new Set(cmp.rows.flatMap((r) => Object.keys(r).filter((k) => k.startsWith("metric.")))),
        ];
        const settings = opts.all
          ? Object.keys(cmp.rows[0]).filter((k) => !base.includes(k) && !k.startsWith("metric."))
          : cmp.differingSettings;
        io.out(formatTable(cmp.rows, [...base, ...metrics, ...settings]));
      }),
    );
}
