/**
 * Whether the process that wrote a status or lock file is still alive: the file records the process id and the
 * host name; on the same host a signal 0 tells whether the process exists.
 */
import * as os from "node:os";

/** The process that owns an experiment folder: its id and the machine it runs on. */
export interface ProcessRef {
  pid: number;
  host: string;
}

/**
 * The current process, as recorded in `status.json` and the run lock.
 * @returns the pid and host name
 * @example
 * ```ts
 * currentProcess(); // { pid: 4242, host: "trainer-1" }
 * ```
 */
export function currentProcess(): ProcessRef {
  return { pid: process.pid, host: os.hostname() };
}

/**
 * Whether a recorded process still runs.
 * @param ref - pid and host (a record without host is taken to be from this host)
 * @returns `true` when it runs, `false` when it is gone, `undefined` when it cannot be told (another host)
 * @example
 * ```ts
 * if (processAlive({ pid: 4242, host: os.hostname() }) === false) console.log("the run was killed");
 * ```
 */
export function processAlive(ref: { pid: number; host?: string }): boolean | undefined {
  if (ref.host !== undefined && ref.host !== os.hostname()) return undefined;
  if (!Number.isInteger(ref.pid) || ref.pid <= 0) return false;
  if (ref.pid === process.pid) return true;
  try {
    process.kill(ref.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
