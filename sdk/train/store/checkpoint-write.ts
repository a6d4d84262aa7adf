/**
 * Crash-safe checkpoint folders: the new checkpoint is written into a temporary folder beside the target,
 * flushed, then swapped in with renames. At every instant either the old or the new checkpoint is complete on
 * disk; {@link recoverCheckpoint} finishes an interrupted swap.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fsyncDirSync, translateWriteErrors } from "../../util";

/** The files of a checkpoint: relative path (may contain `/`) → content. */
export type CheckpointFiles = Record<string, string | Uint8Array>;

function backupOf(dir: string): string {
  return `${dir}.old`;
}

/**
 * Finishes or rolls back a checkpoint swap a crash interrupted, and removes abandoned temporary folders.
 * Call it before reading a checkpoint (resume does).
 * @param dir - the checkpoint folder, e.g. `experiments/run-1/checkpoints/last`
 * @returns whether a complete checkpoint exists at `dir` afterwards
 * @throws the underlying filesystem error
 * @example
 * ```ts
 * if (recoverCheckpoint("experiments/run-1/checkpoints/last")) console.log("can resume");
 * ```
 */
export function recoverCheckpoint(dir: string): boolean {
  const backup = backupOf(dir);
  const exists = fs.existsSync(dir);
  if (fs.existsSync(backup)) {
    if (exists) fs.rmSync(backup, { recursive: true, force: true });
    else {
      fs.renameSync(backup, dir);
      fsyncDirSync(path.dirname(dir));
    }
  }
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.tmp-`;
  if (fs.existsSync(parent)) {
    for (const entry of fs.readdirSync(parent)) {
      if (entry.startsWith(prefix)) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
    }
  }
  return fs.existsSync(dir);
}

function writeFilesDurably(root: string, files: CheckpointFiles): void {
  for (const [name, content] of Object.entries(files)) {
    const target = path.resolve(root, name);
    if (!target.startsWith(root + path.sep))
      throw new Error(`checkpoint file name escapes its folder: ${name}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const fd = fs.openSync(target, "w");
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fsyncDirSync(path.dirname(target));
  }
  fsyncDirSync(root);
}

/**
 * Writes a checkpoint folder atomically: into `<dir>.tmp-<id>` first, flushed to disk, then renamed over `dir`
 * (the previous checkpoint is moved to `<dir>.old` for the instant of the swap, then deleted). A crash at any
 * point leaves the previous checkpoint or the new one complete; {@link recoverCheckpoint} restores it.
 * @param dir - the checkpoint folder to create or replace; its parent is created if missing
 * @param files - relative file names → contents
 * @returns when the new checkpoint is durable
 * @throws Error when a file name escapes the folder; FileWriteError when the disk is read-only, full or blocked
 *   by a file (its message says the previous checkpoint is kept); other filesystem errors as they are (the old
 *   checkpoint is kept)
 * @example
 * ```ts
 * await writeCheckpointAtomically("experiments/run-1/checkpoints/last", {
 *   "adapter_config.json": JSON.stringify(lora.toPeftJson("tiny")),
 *   "trainer_state.json": JSON.stringify({ step: 100 }),
 * });
 * ```
 */
export async function writeCheckpointAtomically(dir: string, files: CheckpointFiles): Promise<void> {
  const target = path.resolve(dir);
  const kept = fs.existsSync(target) || fs.existsSync(backupOf(target));
  const note = kept ? `The previous checkpoint in ${target} is kept.` : "No checkpoint was written there.";
  await translateWriteErrors({ what: "checkpoint", path: target, note }, () => swapIn(target, files));
}

function swapIn(target: string, files: CheckpointFiles): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  recoverCheckpoint(target);
  const temp = `${target}.tmp-${randomBytes(4).toString("hex")}`;
  fs.mkdirSync(temp);
  try {
    writeFilesDurably(temp, files);
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  const backup = backupOf(target);
  const hadOld = fs.existsSync(target);
  if (hadOld) fs.renameSync(target, backup);
  try {
    fs.renameSync(temp, target);
  } catch (error) {
    if (hadOld) fs.renameSync(backup, target); // put the previous checkpoint back
    fs.rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  fsyncDirSync(path.dirname(target));
  if (hadOld) fs.rmSync(backup, { recursive: true, force: true });
}
