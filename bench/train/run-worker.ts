/**
 * Runs a benchmark worker in its own process (so its peak RSS is its own) and parses the JSON line it prints last.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import type { WorkerOptions, WorkerResult } from "./ours-worker";

/** Runs one worker process and parses the JSON line it prints last. */
export function runWorker(
  cmd: string,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<WorkerResult> {
  const env = { ...process.env, OMP_WAIT_POLICY: "PASSIVE", ...extraEnv };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || !last.startsWith("{")) {
        reject(new Error(`${cmd} ${args.at(-2) ?? ""} exited with ${code}; its output: ${stdout}`));
      } else resolve(JSON.parse(last) as WorkerResult);
    });
  });
}

/** Runs our worker (bench/train/ours-worker) with these options. */
export function runOurs(w: WorkerOptions): Promise<WorkerResult> {
  const ext = path.extname(__filename);
  const worker = path.join(__dirname, `ours-worker${ext}`);
  return runWorker(process.execPath, [...process.execArgv, worker, JSON.stringify(w)]);
}
