/**
 * Whole-folder atomic writes: the content is written into a temporary folder beside the target, flushed, and
 * renamed into place, so a reader (or a process restarted after a crash) sees the old folder or the complete new
 * one, never a half-written one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fsyncDirSync } from "../../util";
import { ExportError } from "./export-error";

/** Options of {@link writeDirAtomic}. */
export interface WriteDirAtomicOptions {
  /** The folder to create or replace. */
  dir: string;
  /** Replace a non-empty folder (default false: refuse). */
  overwrite?: boolean;
  /** Writes the content into the (empty) temporary folder it is given. */
  write: (tmp: string) => Promise<void>;
}

/**
 * Checks that a folder may be written: absent, empty, or non-empty with `overwrite`.
 * @param target - absolute folder path
 * @param overwrite - whether a non-empty folder may be replaced
 * @returns whether the folder exists now
 * @throws {@link ExportError} when it is a file, or a non-empty folder without `overwrite`
 * @example
 * ```ts
 * const exists = await checkTarget("/runs/1/merged", false);
 * ```
 */
export async function checkTarget(target: string, overwrite: boolean): Promise<boolean> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return false;
  if (!info.isDirectory()) {
    throw new ExportError({
      target,
      problem: "expected a folder (or nothing), found a file",
      fix: "Choose a folder path that is not a file.",
    });
  }
  const entries = await readdir(target);
  if (entries.length > 0 && !overwrite) {
    const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? ", …" : "");
    throw new ExportError({
      target,
      problem: `the folder exists and is not empty (${shown})`,
      fix: "Pass overwrite: true to replace it, or choose another folder.",
    });
  }
  return true;
}

/**
 * Writes a folder atomically: `write` fills a temporary folder `.<name>.tmp-…` beside the target, which is
 * then flushed and renamed to the target (an existing target is moved aside first and removed after).
 * On failure the temporary folder is removed and the target is left as it was.
 * @param options - `dir`, `overwrite`, `write`
 * @returns the absolute path of the written folder
 * @throws {@link ExportError} when the target is a file or a non-empty folder without `overwrite`, or the
 *   rename fails; whatever `write` throws (after cleaning up)
 * @example
 * ```ts
 * await writeDirAtomic({
 *   dir: "/tmp/out",
 *   write: async (tmp) => writeFile(path.join(tmp, "a.txt"), "hello"),
 * });
 * ```
 */
export async function writeDirAtomic(options: WriteDirAtomicOptions): Promise<string> {
  const target = path.resolve(options.dir);
  await checkTarget(target, options.overwrite === true);
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(path.join(parent, `.${path.basename(target)}.tmp-`));
  try {
    await options.write(tmp);
    fsyncDirSync(tmp);
    await commit(tmp, target, options.overwrite === true);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  fsyncDirSync(parent);
  return target;
}

async function commit(tmp: string, target: string, overwrite: boolean): Promise<void> {
  const exists = await checkTarget(target, overwrite); // again: something may have appeared meanwhile
  if (!exists) {
    await rename(tmp, target);
    return;
  }
  const old = path.join(
    path.dirname(target),
    `.${path.basename(target)}.old-${randomBytes(4).toString("hex")}`,
  );
  await rename(target, old);
  try {
    await rename(tmp, target);
  } catch (cause) {
    await rename(old, target).catch(() => undefined);
    throw new ExportError(
      { target, problem: "the finished folder could not be renamed into place", fix: "Check permissions." },
      { cause },
    );
  }
  await rm(old, { recursive: true, force: true });
}
