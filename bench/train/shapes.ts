/**
 * Random checkpoints with real shapes for the training benchmarks (made once with
 * test/reference/make_tiny_checkpoint.py and kept in a cache folder), and the repository root.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const PYTHON = "/usr/bin/python3";

/** SmolLM2-135M's shape (HuggingFaceTB/SmolLM2-135M config.json), random weights. */
export const SMOLLM_SHAPE = ["--layers", "30", "--hidden", "576", "--heads", "9", "--kv-heads", "3"].concat([
  "--intermediate",
  "1536",
  "--vocab",
  "49152",
  "--tie",
]);

/** A mid shape: Qwen2.5-0.5B's layer widths with 6 layers and a 32,000-token vocabulary (118M parameters). */
export const MID_SHAPE = [
  "--arch",
  "qwen2",
  "--layers",
  "6",
  "--hidden",
  "896",
  "--heads",
  "14",
  "--kv-heads",
  "2",
].concat(["--intermediate", "4864", "--vocab", "32000", "--tie"]);

/** The repository root: the nearest folder above this file with a package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/**
 * Creates a random checkpoint once (make_tiny_checkpoint.py with `flags`), then reuses it.
 * @param root - the repository root
 * @param dir - where it is kept
 * @param flags - make_tiny_checkpoint.py's shape flags
 * @param config - fields to set in its config.json afterwards
 * @returns the model folder
 */
export function randomCheckpoint(root: string, dir: string, flags: string[], config: object = {}): string {
  const file = path.join(dir, "config.json");
  if (existsSync(file) && existsSync(path.join(dir, "model.safetensors"))) return dir;
  console.log(`creating the random checkpoint ${dir} …`);
  const script = path.join(root, "test/reference/make_tiny_checkpoint.py");
  const r = spawnSync(PYTHON, [script, ...flags, "--out", dir], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`make_tiny_checkpoint.py failed (exit ${r.status})`);
  writeFileSync(
    file,
    `${JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), ...config }, null, 2)}\n`,
  );
  return dir;
}

/** The SmolLM2-135M-shaped random checkpoint (rope_theta 100000, as SmolLM2's config). */
export function smollmCheckpoint(root: string, cacheDir: string): string {
  const dir = path.join(cacheDir, "smollm2-135m-shape");
  return randomCheckpoint(root, dir, ["--arch", "llama", ...SMOLLM_SHAPE], { rope_theta: 100000 });
}
