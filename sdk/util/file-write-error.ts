/**
 * Filesystem errors of writes, translated into what the user can do: a read-only or forbidden output folder, an
 * output path blocked by a file, a full disk. Every layer that writes (the experiment store, checkpoints,
 * exports) wraps its writes with {@link translateWriteErrors} so that no raw `EROFS`, `EACCES`, `ENOSPC`,
 * `EEXIST` or `ENOTDIR` reaches the user.
 */
import { accessSync, constants, type Stats, statSync } from "node:fs";
import path from "node:path";
import { TunebookError, type TunebookErrorOptions } from "../errors";

/** What was being written, for the message of a {@link FileWriteError}. */
export interface WriteContext {
  /** What is written, e.g. `"checkpoint"`, `"export"`, `"experiment file"`. */
  what: string;
  /** The file or folder the user knows (named in the message instead of temporary names). */
  path: string;
  /** A sentence to add, e.g. `"The previous checkpoint is kept."`. */
  note?: string;
}

/**
 * A write failed for a reason the user can fix: the filesystem is read-only or forbids it (`EROFS`, `EACCES`,
 * `EPERM`), a file stands where a folder is needed (`EEXIST`, `ENOTDIR`) or a folder where a file is
 * (`EISDIR`), or the disk is full (`ENOSPC`, `EDQUOT`). The original error is the `cause`.
 * @example
 * ```ts
 * try { await store.writeCheckpoint("last", files); } catch (e) {
 *   if (e instanceof FileWriteError && e.code === "ENOSPC") console.log(e.path, "is on a full disk");
 * }
 * ```
 */
export class FileWriteError extends TunebookError {
  /** The path the problem is about (the blocking file for `EEXIST`/`ENOTDIR`). */
  readonly path: string;
  /** The system error code, e.g. `ENOSPC`. */
  readonly code: string;

  /**
   * @param details - `what` was written, the `path`, the error `code`, the `problem` and the `fix`
   * @param options - `cause`
   */
  constructor(
    details: { what: string; path: string; code: string; problem: string; fix: string },
    options: TunebookErrorOptions = {},
  ) {
    super(`Cannot write the ${details.what} ${details.path}: ${details.problem}. ${details.fix}`, options);
    this.name = "TunebookFileWriteError";
    this.path = details.path;
    this.code = details.code;
  }
}

/** The deepest existing ancestor of `p` (or `p` itself), with what it is. */
function deepestExisting(p: string): { path: string; isDirectory: boolean } | undefined {
  for (let current = path.resolve(p); ; current = path.dirname(current)) {
    let info: Stats | undefined;
    try {
      info = statSync(current);
    } catch {
      info = undefined;
    }
    if (info) return { path: current, isDirectory: info.isDirectory() };
    if (path.dirname(current) === current) return undefined;
  }
}

/** The file (not folder) that stands on the way from the root to `p`, if any. */
function blockingFile(p: string): string | undefined {
  const found = deepestExisting(p);
  return found && !found.isDirectory ? found.path : undefined;
}

/** Why a folder cannot be created in the deepest existing ancestor of `p` (read-only, forbidden), if it cannot. */
function unwritableAncestor(p: string): NodeJS.ErrnoException | undefined {
  const found = deepestExisting(p);
  if (!found?.isDirectory) return undefined;
  try {
    accessSync(found.path, constants.W_OK);
    return undefined;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
}

/**
 * Translates a filesystem error of a write into a {@link FileWriteError}; other errors are returned as they are.
 * A FileWriteError raised by an inner write is translated again for the outer `context`, which names the path
 * the user knows (an export folder rather than a file inside its temporary folder).
 * @param error - what the write threw
 * @param context - what was written, and where
 * @returns the translated error, or `error` itself
 * @example
 * ```ts
 * try { fs.mkdirSync(dir); } catch (e) { throw toFileWriteError(e, { what: "experiment folder", path: dir }); }
 * ```
 */
export function toFileWriteError(error: unknown, context: WriteContext): unknown {
  if (error instanceof FileWriteError) return toFileWriteError(error.cause, context);
  if (!(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const syscallPath = (error as NodeJS.ErrnoException).path;
  const where = path.resolve(context.path);
  const note = context.note ? ` ${context.note}` : "";
  const make = (p: string, problem: string, fix: string) =>
    new FileWriteError(
      { what: context.what, path: p, code: code as string, problem, fix: fix + note },
      { cause: error },
    );
  switch (code) {
    case "EROFS":
      return make(where, "the filesystem is read-only", "Choose a folder on a writable disk.");
    case "EACCES":
    case "EPERM":
      return make(
        where,
        "permission denied",
        "Choose a folder you may write to, or change the folder's permissions.",
      );
    case "ENOSPC":
      return make(
        where,
        "the disk is full",
        "Free some space on that disk, or choose a folder on another disk.",
      );
    case "EDQUOT":
      return make(
        where,
        "the disk quota is exhausted",
        "Free some space, or choose a folder on another disk.",
      );
    case "EEXIST":
    case "ENOTDIR": {
      const file = blockingFile(syscallPath ?? where) ?? blockingFile(where);
      if (!file) return error;
      return make(
        where,
        `${file} is a file, where a folder is needed`,
        "Remove or rename that file, or choose another path.",
      );
    }
    case "ENOENT": {
      // A recursive mkdir reports a read-only or forbidden parent as ENOENT: find the real reason.
      if ((error as NodeJS.ErrnoException).syscall !== "mkdir") return error;
      const reason = unwritableAncestor(syscallPath ?? where);
      return reason ? toFileWriteError(reason, context) : error;
    }
    case "EISDIR":
      return make(
        where,
        `${syscallPath ?? where} is a folder, where a file is needed`,
        "Remove or rename it, or choose another path.",
      );
    default:
      return error;
  }
}

/**
 * Runs a write and translates its filesystem errors ({@link toFileWriteError}).
 * @param context - what is written, and where
 * @param write - the write
 * @returns what `write` returns
 * @throws {@link FileWriteError} for a read-only, forbidden, blocked or full destination; whatever else `write` throws
 * @example
 * ```ts
 * await translateWriteErrors({ what: "export", path: dir }, () => writeFile(path.join(dir, "a"), "x"));
 * ```
 */
export async function translateWriteErrors<T>(
  context: WriteContext,
  write: () => Promise<T> | T,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw toFileWriteError(error, context);
  }
}

/**
 * Synchronous {@link translateWriteErrors}.
 * @param context - what is written, and where
 * @param write - the write
 * @returns what `write` returns
 * @throws {@link FileWriteError} for a read-only, forbidden, blocked or full destination; whatever else `write` throws
 * @example
 * ```ts
 * translateWriteErrorsSync({ what: "log", path: file }, () => fs.appendFileSync(file, "line\n"));
 * ```
 */
export function translateWriteErrorsSync<T>(context: WriteContext, write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw toFileWriteError(error, context);
  }
}
