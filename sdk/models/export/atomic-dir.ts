/**
 * Whole-folder atomic writes of exports: the content is written into a temporary folder beside the target,
 * flushed, and renamed into place, so a reader (or a process restarted after a crash) sees the old folder or the
 * complete new one, never a half-written one. Every export carries the {@link EXPORT_MARKER} file, and only a
 * folder that has it is ever replaced; a target that is, contains or lies inside a folder the export reads from,
 * or that is or contains the current directory, is refused ({@link assertSafeTarget}).
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fsyncDirSync, translateWriteErrors, writeJsonAtomic } from "../../util";
import { ExportError } from "./export-error";
import {
  assertSafeTarget,
  EXPORT_MARKER,
  type ExportMarker,
  isExportFolder,
  type ProtectedFolder,
  realPathOf,
} from "./export-target";

/** Options of {@link writeDirAtomic}. */
export interface WriteDirAtomicOptions {
  /** The folder to create or replace. */
  dir: string;
  /** Replace a previous export in `dir` (default false: refuse a non-empty folder). */
  overwrite?: boolean;
  /** The export format, recorded in the folder's {@link EXPORT_MARKER} (e.g. `peft`, `merged`). */
  format: string;
  /** Folders the export reads from: the target may not be, contain or lie inside any of them. */
  protect?: readonly ProtectedFolder[];
  /** Writes the content into the (empty) temporary folder it is given. */
  write: (tmp: string) => Promise<void>;
}

/**
 * Checks that a folder may be written: absent, empty, or a previous export (one with {@link EXPORT_MARKER})
 * with `overwrite`.
 * @param target - absolute folder path
 * @param overwrite - whether a previous export may be replaced
 * @returns whether the folder exists now
 * @throws {@link ExportError} when it is a file, a non-empty folder without `overwrite`, or a non-empty folder
 *   that is not a previous export
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
  if (entries.length === 0) return true;
  const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? ", …" : "");
  if (!isExportFolder(target)) {
    throw new ExportError({
      target,
      problem: `the folder is not empty (${shown}) and is not a tunebook export (it has no ${EXPORT_MARKER}), so it will not be replaced, even with overwrite`,
      fix: "Choose another folder, or empty or delete this one yourself first.",
    });
  }
  if (!overwrite) {
    throw new ExportError({
      target,
      problem: `the folder exists and is not empty (${shown})`,
      fix: "Pass overwrite: true (--overwrite) to replace it, or choose another folder.",
    });
  }
  return true;
}

/**
 * Writes an export folder atomically: `write` fills a temporary folder `.<name>.tmp-…` beside the target, the
 * {@link EXPORT_MARKER} is added, and the folder is flushed and renamed to the target (a previous export there is
 * moved aside first and removed after). On failure the temporary folder is removed and the target is left as
 * it was. A symlinked target is written where the link points.
 * @param options - `dir`, `format`, `overwrite`, `protect`, `write`
 * @returns the absolute path of the written folder
 * @throws {@link ExportError} when the target is, contains or lies inside a `protect` folder, is or contains the
 *   current directory, is a file, is a non-empty folder without `overwrite` or one that is not a previous
 *   export, or the rename fails; FileWriteError when the disk is read-only, full or blocked by a file;
 *   whatever `write` throws (after cleaning up)
 * @example
 * ```ts
 * await writeDirAtomic({
 *   dir: "/tmp/out",
 *   format: "notes",
 *   write: async (tmp) => writeFile(path.join(tmp, "a.txt"), "hello"),
 * });
 * ```
 */
export async function writeDirAtomic(options: WriteDirAtomicOptions): Promise<string> {
  const shown = path.resolve(options.dir);
  assertSafeTarget(shown, options.protect ?? []);
  const target = realPathOf(shown);
  const overwrite = options.overwrite === true;
  await checkTarget(target, overwrite);
  const parent = path.dirname(target);
  const context = { what: "export", path: shown };
  await translateWriteErrors(context, () => mkdir(parent, { recursive: true }));
  const tmp = await translateWriteErrors(context, () =>
    mkdtemp(path.join(parent, `.${path.basename(target)}.tmp-`)),
  );
  try {
    await translateWriteErrors(context, async () => {
      await options.write(tmp);
      const marker: ExportMarker = { exported_by: "tunebook", format: options.format };
      await writeJsonAtomic(path.join(tmp, EXPORT_MARKER), marker);
      fsyncDirSync(tmp);
      await commit(tmp, target, overwrite);
    });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  fsyncDirSync(parent);
  return shown;
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
