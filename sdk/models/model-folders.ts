/**
 * The per-load model folders of `Backbone` (ONNX graphs and the weights converted for them; for a bf16 model
 * that is the whole model in float32): `<root>/<model_type>-<pid>-XXXXXX`, with the owner in `owner.json`.
 * A folder is removed by `dispose`, when the process exits, and when SIGINT, SIGTERM or SIGHUP would end the
 * process (no other listener for it; a CLI or server that handles the signal drains and disposes itself).
 * A folder left by a process that was killed outright (SIGKILL, a crash of the runtime) is removed by the
 * next load into the same root on the same host, once its owner's pid is no longer running.
 */
import { readFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Shared by every copy of this module in the process (there is one set of signal handlers per process). */
interface Registry {
  /** Folders created by this process and not yet released. */
  readonly folders: Set<string>;
  /** The signal listener, while installed. */
  listener?: (signal: NodeJS.Signals) => void;
}

const KEY = Symbol.for("tunebook.models.modelFolders");
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/** `<model_type>-<pid>-<six characters of mkdtemp>`. */
const NAME = /^.+-(\d+)-[A-Za-z0-9]{6}$/;
const OWNER_FILE = "owner.json";

function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  if (!g[KEY]) {
    const created: Registry = { folders: new Set() };
    g[KEY] = created;
    process.once("exit", () => removeAllSync(created));
  }
  return g[KEY];
}

function removeAllSync(r: Registry): void {
  for (const folder of r.folders) rmSync(folder, { recursive: true, force: true });
  r.folders.clear();
}

/**
 * Listens for the signals that end a process by default. Prepended, so it sees every other listener still
 * registered (a `once` listener removes itself when called): with another listener it does nothing (that code
 * owns the signal and will dispose or exit, which the `exit` hook covers); alone, it removes the folders and
 * re-raises the signal with the default action, so the process ends as it would have.
 */
function installSignalHandlers(r: Registry): void {
  if (r.listener || process.platform === "win32") return;
  const listener = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    removeAllSync(r);
    uninstallSignalHandlers(r);
    process.kill(process.pid, signal);
  };
  r.listener = listener;
  for (const s of SIGNALS) process.prependListener(s, listener);
}

function uninstallSignalHandlers(r: Registry): void {
  const listener = r.listener;
  if (!listener) return;
  r.listener = undefined;
  for (const s of SIGNALS) process.off(s, listener);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ownerHost(folder: string): string | undefined {
  try {
    const owner = JSON.parse(readFileSync(path.join(folder, OWNER_FILE), "utf8")) as { hostname?: unknown };
    return typeof owner.hostname === "string" ? owner.hostname : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a folder named by this process's own pid is a leftover of an earlier process that had the same pid
 * (pids are reused, e.g. in containers): it was last changed before this process started. A folder of this
 * process, of any of its threads or of another copy of this module, is newer.
 */
async function leftFromEarlierProcess(folder: string, registered: ReadonlySet<string>): Promise<boolean> {
  if (registered.has(folder)) return false;
  const started = Date.now() - process.uptime() * 1000;
  const changed = await stat(folder).then(
    (s) => s.mtimeMs,
    () => Number.POSITIVE_INFINITY,
  );
  return changed < started;
}

/**
 * Removes the model folders in `root` whose owner process is gone: its pid (from the folder name) is not
 * running on this host, or it is this process's own pid and the folder predates this process. A folder whose
 * `owner.json` names another host, or whose name is not a model folder's, is never touched. Errors (a folder
 * of another user, a race with another cleaner) are ignored.
 * @param root - the folder that holds the per-load model folders
 * @returns the folders removed
 * @example
 * ```ts
 * await removeStaleModelFolders(path.join(os.tmpdir(), "tunebook-onnx"));
 * ```
 */
export async function removeStaleModelFolders(root: string): Promise<string[]> {
  const r = registry();
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const host = os.hostname();
  for (const name of names) {
    const pid = Number(name.match(NAME)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    const folder = path.join(root, name);
    const stale = pid === process.pid ? await leftFromEarlierProcess(folder, r.folders) : !isRunning(pid);
    if (!stale) continue;
    const owner = ownerHost(folder);
    if (owner !== undefined && owner !== host) continue;
    try {
      await rm(folder, { recursive: true, force: true });
      removed.push(folder);
    } catch {
      // Not ours to remove after all (permissions) or already gone: leave it.
    }
  }
  return removed;
}

/**
 * Creates a per-load model folder `<root>/<modelType>-<pid>-XXXXXX` (with `owner.json`: pid, host, time),
 * after removing the stale folders of dead processes in `root`, and registers it for removal on exit.
 * @param root - where model folders live (created if missing)
 * @param modelType - `model_type` of the model, the folder's prefix
 * @returns the absolute path of the new folder
 * @example
 * ```ts
 * const folder = await createModelFolder(path.join(os.tmpdir(), "tunebook-onnx"), "llama");
 * ```
 */
export async function createModelFolder(root: string, modelType: string): Promise<string> {
  const r = registry();
  await mkdir(root, { recursive: true });
  await removeStaleModelFolders(root);
  const folder = await mkdtemp(path.join(root, `${modelType}-${process.pid}-`));
  r.folders.add(folder);
  installSignalHandlers(r);
  const owner = { pid: process.pid, hostname: os.hostname(), created: new Date().toISOString() };
  try {
    await writeFile(path.join(folder, OWNER_FILE), `${JSON.stringify(owner)}\n`);
  } catch (e) {
    await releaseModelFolder(folder);
    throw e;
  }
  return folder;
}

/**
 * Removes a model folder made by {@link createModelFolder} and forgets it (the signal handlers go when no
 * folder is left). Safe to call twice.
 * @param folder - the folder
 * @returns when it is removed
 * @example
 * ```ts
 * await releaseModelFolder(folder);
 * ```
 */
export async function releaseModelFolder(folder: string): Promise<void> {
  const r = registry();
  await rm(folder, { recursive: true, force: true });
  r.folders.delete(folder);
  if (r.folders.size === 0) uninstallSignalHandlers(r);
}
