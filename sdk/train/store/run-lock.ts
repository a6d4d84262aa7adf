/**
 * The run lock of an experiment folder: `run.lock`, created atomically (O_EXCL) and holding the owner's pid and
 * host, so two processes never train one folder at once. The owner releases it when the run ends, however it
 * ends (and on process exit); a lock whose process is gone (killed with SIGKILL, a power cut) is taken over.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ExperimentLockedError } from "./experiment-locked-error";
import { currentProcess, type ProcessRef, processAlive } from "./process-liveness";

/** File name of the lock inside the experiment folder. */
export const RUN_LOCK_FILE = "run.lock";

/** A held run lock. */
export interface RunLock {
  /** The lock file. */
  readonly file: string;
  /** Removes the lock file if it is still this process's (safe to call more than once). */
  release(): void;
}

interface LockRecord extends ProcessRef {
  acquiredAt: string;
}

/** A lock file younger than this with no complete record is being written right now. */
const WRITING_GRACE_MS = 2_000;
/** A take-over guard older than this was left by a process that died while taking a lock over. */
const GUARD_STALE_MS = 10_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    return typeof r.pid === "number" && typeof r.host === "string" ? (r as LockRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock file with O_EXCL; false when it exists. */
function tryCreate(file: string, record: LockRecord): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(record)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Removes a stale lock, under a guard file so that two processes taking over the same stale lock at once cannot
 * remove each other's new lock: only the holder of the guard removes, and only the very lock it judged stale.
 */
function removeStale(file: string, staleText: string): void {
  const guard = `${file}.takeover`;
  if (!tryCreateGuard(guard)) {
    if (ageMs(guard) > GUARD_STALE_MS) fs.rmSync(guard, { force: true });
    sleep(20);
    return;
  }
  try {
    if (readText(file) === staleText) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function tryCreateGuard(guard: string): boolean {
  try {
    fs.closeSync(fs.openSync(guard, "wx"));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Takes the run lock of an experiment folder.
 * @param dir - the experiment folder
 * @returns the held lock; call `release()` when the run ends (it is also released when the process exits)
 * @throws {@link ExperimentLockedError} when a live process (or one on another host) holds it; the underlying
 * filesystem error
 * @example
 * ```ts
 * const lock = acquireRunLock(store.dir);
 * try { await train(); } finally { lock.release(); }
 * ```
 */
export function acquireRunLock(dir: string): RunLock {
  const file = path.join(dir, RUN_LOCK_FILE);
  for (let attempt = 0; attempt < 500; attempt++) {
    const mine: LockRecord = { ...currentProcess(), acquiredAt: new Date().toISOString() };
    if (tryCreate(file, mine)) return held(file, mine);
    const text = readText(file);
    if (text === undefined) continue; // released meanwhile: try again
    const holder = parseRecord(text);
    if (holder) {
      const alive = processAlive(holder);
      if (alive !== false) throw new ExperimentLockedError(dir, holder, file, alive === true);
    } else if (ageMs(file) < WRITING_GRACE_MS) {
      sleep(20); // its owner is writing it
      continue;
    }
    removeStale(file, text);
  }
  throw new Error(
    `could not take the run lock ${file}: it keeps changing; retry, or delete it if no run is alive`,
  );
}

function held(file: string, mine: LockRecord): RunLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    const text = readText(file);
    const holder = text === undefined ? undefined : parseRecord(text);
    if (holder && holder.pid === mine.pid && holder.acquiredAt === mine.acquiredAt) {
      fs.rmSync(file, { force: true });
    }
  };
  process.on("exit", release);
  return { file, release };
}
