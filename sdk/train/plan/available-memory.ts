/**
 * How much memory a run may use on this machine: the memory the system reports available (`MemAvailable`, through
 * `os.freemem()`), lowered to the cgroup's limit minus its usage when the process runs in a limited cgroup
 * (containers, systemd slices), or the `TUNEBOOK_MEMORY_LIMIT_MB` environment variable when set.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

/** Available memory and where the figure comes from. */
export interface AvailableMemory {
  readonly bytes: number;
  readonly source: string;
}

function readNumber(file: string): number | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    const n = Number(text);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The cgroup's remaining memory (v2 `memory.max − memory.current`, or v1's limit and usage), if it is limited. */
function cgroupRemaining(): number | undefined {
  const pairs = [
    ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"],
    ["/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"],
  ];
  for (const [limitFile, usageFile] of pairs) {
    const limit = readNumber(limitFile);
    // v1 reports "no limit" as a huge number; anything above the machine's memory is no limit.
    if (limit !== undefined && limit < os.totalmem())
      return Math.max(0, limit - (readNumber(usageFile) ?? 0));
  }
  return undefined;
}

/**
 * The memory a new run may use.
 * @param env - the environment (default `process.env`); `TUNEBOOK_MEMORY_LIMIT_MB` overrides the measurement
 * @returns bytes and their source, e.g. `{ bytes: 2.1e10, source: "available system memory" }`
 * @example
 * ```ts
 * const { bytes, source } = availableMemory();
 * ```
 */
export function availableMemory(env: NodeJS.ProcessEnv = process.env): AvailableMemory {
  const limit = Number(env.TUNEBOOK_MEMORY_LIMIT_MB);
  if (env.TUNEBOOK_MEMORY_LIMIT_MB && Number.isFinite(limit) && limit > 0) {
    return { bytes: limit * 2 ** 20, source: "TUNEBOOK_MEMORY_LIMIT_MB" };
  }
  const free = os.freemem();
  const cgroup = cgroupRemaining();
  if (cgroup !== undefined && cgroup < free) return { bytes: cgroup, source: "the cgroup's memory limit" };
  return { bytes: free, source: "available system memory" };
}
