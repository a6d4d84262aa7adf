/**
 * Where an export may be written. An export replaces its target folder whole, so the target must not be, contain
 * or lie inside a folder the export reads from (the experiment, its checkpoints, the base model) or the current
 * directory (compared as real paths, symlinks resolved); and `overwrite` only ever replaces a folder that a
 * previous export wrote, recognised by the {@link EXPORT_MARKER} file every export carries.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ExportError } from "./export-error";

/** The file every export folder carries: `overwrite` replaces only folders that have it. */
export const EXPORT_MARKER = "tunebook-export.json";

/** What {@link EXPORT_MARKER} holds. */
export interface ExportMarker {
  /** Always `"tunebook"`. */
  readonly exported_by: "tunebook";
  /** The export format, e.g. `peft` or `merged`. */
  readonly format: string;
}

/** A folder an export reads from and must therefore neither replace nor write into. */
export interface ProtectedFolder {
  /** The folder. */
  readonly dir: string;
  /** What it is, for the error message, e.g. `"the experiment folder"`. */
  readonly what: string;
}

/** Schema of the `protect` option of the export functions: {@link ProtectedFolder}s, default none. */
export const ProtectedFoldersSchema = z
  .array(z.object({ dir: z.string().min(1), what: z.string().min(1) }).strict())
  .default([]);

/**
 * The real path of a file or folder that may not exist yet: its deepest existing ancestor with symlinks
 * resolved, followed by the rest of the path.
 * @param target - any path
 * @returns the absolute real path
 * @example
 * ```ts
 * realPathOf("./out/new-folder"); // "/home/me/project/out/new-folder" even when ./out is a symlink
 * ```
 */
export function realPathOf(target: string): string {
  const rest: string[] = [];
  let current = path.resolve(target);
  for (;;) {
    try {
      return path.join(realpathSync(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...rest);
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== "" && !rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel);
}

/**
 * Refuses a target that would destroy or alter what the export reads, or the current directory: a target
 * that is, contains or lies inside a protected folder, or that is or contains the current directory.
 * @param target - the export folder
 * @param protect - the folders the export reads from
 * @param cwd - the current directory (default `process.cwd()`)
 * @throws {@link ExportError} naming the folder the target collides with
 * @example
 * ```ts
 * assertSafeTarget("out/merged", [{ dir: "experiments/run-1", what: "the experiment folder" }]);
 * ```
 */
export function assertSafeTarget(
  target: string,
  protect: readonly ProtectedFolder[],
  cwd: string = process.cwd(),
): void {
  const real = realPathOf(target);
  const shown = path.resolve(target);
  const it = real === shown ? "it" : `it resolves to ${real}, which`;
  const fix = "Choose an output folder outside it, e.g. a new folder next to it.";
  for (const folder of protect) {
    const dir = realPathOf(folder.dir);
    const where = `${folder.what} (${dir})`;
    const problem =
      real === dir
        ? `${it} is ${where}`
        : within(dir, real)
          ? `${it} contains ${where}, which replacing it would delete`
          : within(real, dir)
            ? `${it} lies inside ${where}`
            : undefined;
    if (problem) throw new ExportError({ target: shown, problem, fix });
  }
  const here = realPathOf(cwd);
  if (real === here || within(here, real)) {
    throw new ExportError({
      target: shown,
      problem: `${it} ${real === here ? "is" : "contains"} the current directory (${here}), which replacing it would delete`,
      fix: 'Choose a new folder, e.g. `-o ./export` (or `dir: "./export"`).',
    });
  }
}

/**
 * Whether a folder was written by a tunebook export (it holds a valid {@link EXPORT_MARKER}).
 * @param dir - the folder
 * @returns true for a previous export
 * @example
 * ```ts
 * if (isExportFolder("out/merged")) console.log("safe to replace");
 * ```
 */
export function isExportFolder(dir: string): boolean {
  const file = path.join(dir, EXPORT_MARKER);
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as Partial<ExportMarker>).exported_by === "tunebook";
  } catch {
    return false;
  }
}
