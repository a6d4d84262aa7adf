/**
 * Crash-safe file writes: write a temporary file beside the target, fsync it, rename it over the target, fsync
 * the folder. A reader (or a process restarted after a crash) sees the old content or the new, never a mix.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { toFileWriteError } from "./file-write-error";

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o644). */
  mode?: number;
  /** Flush to disk before and after the rename (default true). Off only for throwaway files. */
  fsync?: boolean;
}

function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Flushes a folder's entry table so a rename inside it survives a power loss (a no-op where folders cannot be
 * opened, e.g. Windows).
 * @param dir - the folder
 * @example
 * ```ts
 * fsyncDirSync("./experiments");
 * ```
 */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes a file atomically (synchronous version; use it where the process may be about to exit).
 * @param target - the file to replace or create; its folder must exist
 * @param data - the new content
 * @param options - file mode and fsync
 * @throws FileWriteError when the disk is read-only, full or blocked; other filesystem errors as they are (the
 *   target is then untouched and the temporary file removed)
 * @example
 * ```ts
 * writeFileAtomicSync("status.json", '{"status":"running"}\n');
 * ```
 */
export function writeFileAtomicSync(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const temp = tempPathFor(target);
  const doSync = options.fsync ?? true;
  try {
    const fd = fs.openSync(temp, "wx", options.mode ?? 0o644);
    try {
      fs.writeFileSync(fd, data);
      if (doSync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw toFileWriteError(error, { what: "file", path: target });
  }
  if (doSync) fsyncDirSync(path.dirname(target));
}

/**
 * Writes a file atomically: the target holds either its old content or all of `data`, whatever happens.
 * @param target - the file to replace or create; its folder must exist
 * @param data - the new content
 * @param options - file mode and fsync
 * @returns when the new content is durable
 * @throws FileWriteError when the disk is read-only, full or blocked; other filesystem errors as they are (the
 *   target is then untouched and the temporary file removed)
 * @example
 * ```ts
 * await writeFileAtomic("config.yaml", "training:\n  epochs: 2\n");
 * ```
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temp = tempPathFor(target);
  const doSync = options.fsync ?? true;
  try {
    const handle = await fs.promises.open(temp, "wx", options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      if (doSync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, target);
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw toFileWriteError(error, { what: "file", path: target });
  }
  if (doSync) fsyncDirSync(path.dirname(target));
}

/**
 * Writes a value as pretty JSON (2-space indent, trailing newline) atomically.
 * @param target - the file to replace or create
 * @param value - anything `JSON.stringify` accepts
 * @param options - file mode and fsync
 * @returns when the new content is durable
 * @throws the underlying filesystem error; TypeError for values JSON cannot encode (e.g. BigInt)
 * @example
 * ```ts
 * await writeJsonAtomic("status.json", { status: "completed" });
 * ```
 */
export async function writeJsonAtomic(
  target: string,
  value: unknown,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, options);
}

/**
 * Synchronous {@link writeJsonAtomic}.
 * @param target - the file to replace or create
 * @param value - anything `JSON.stringify` accepts
 * @param options - file mode and fsync
 * @throws the underlying filesystem error
 * @example
 * ```ts
 * writeJsonAtomicSync("status.json", { status: "failed" });
 * ```
 */
export function writeJsonAtomicSync(target: string, value: unknown, options: AtomicWriteOptions = {}): void {
  writeFileAtomicSync(target, `${JSON.stringify(value, null, 2)}\n`, options);
}
