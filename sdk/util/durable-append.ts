/**
 * Line-complete, durable appends (JSON Lines logs). Each append is one `write` of a whole line followed by
 * fsync; a partial last line left by a crash is cut off before the next append, and readers skip it.
 */
import * as fs from "node:fs";
import { translateWriteErrorsSync } from "./file-write-error";

/** Cuts a trailing partial line (no final newline) off an open file, so the next append starts clean. */
function dropPartialTail(fd: number): void {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  const chunk = 64 * 1024;
  for (let end = size; end > 0; end -= chunk) {
    const start = Math.max(0, end - chunk);
    const buf = Buffer.alloc(end - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const nl = buf.lastIndexOf(0x0a);
    if (nl >= 0) {
      fs.ftruncateSync(fd, start + nl + 1);
      return;
    }
  }
  fs.ftruncateSync(fd, 0);
}

/**
 * Appends whole lines to a file durably: a crash leaves either all of them or none visible (a torn last line
 * is removed by the next append and ignored by {@link readCompleteLines}).
 * @param file - the log file (created if missing)
 * @param lines - lines without newline characters
 * @param options - `fsync` (default true)
 * @throws Error when a line contains a newline; FileWriteError when the disk is read-only, full or blocked
 * @example
 * ```ts
 * appendLinesDurable("metrics.jsonl", [JSON.stringify({ step: 1, loss: 2.3 })]);
 * ```
 */
export function appendLinesDurable(
  file: string,
  lines: readonly string[],
  options: { fsync?: boolean } = {},
): void {
  if (lines.length === 0) return;
  for (const line of lines) {
    if (line.includes("\n"))
      throw new Error(`a log line must not contain a newline, got ${JSON.stringify(line)}`);
  }
  translateWriteErrorsSync({ what: "file", path: file }, () => {
    const fd = fs.openSync(file, "a+");
    try {
      dropPartialTail(fd);
      // One write may be short (a full disk): write the rest, so that the failure surfaces as an error.
      const bytes = Buffer.from(`${lines.join("\n")}\n`);
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done);
      if (options.fsync ?? true) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * Reads the complete lines of a file, ignoring a trailing partial line (one a crash cut short) and empty lines.
 * @param file - the file; a missing file reads as no lines
 * @returns the complete lines, without newlines
 * @throws the underlying filesystem error other than "not found"
 * @example
 * ```ts
 * const records = readCompleteLines("metrics.jsonl").map((l) => JSON.parse(l));
 * ```
 */
export function readCompleteLines(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const end = text.lastIndexOf("\n");
  if (end < 0) return [];
  return text
    .slice(0, end)
    .split("\n")
    .filter((l) => l.length > 0);
}
