import { spawnSync } from "node:child_process";

/** Debian's Python, which has torch, numpy and jinja2 (the pyenv `python3` on PATH does not). */
export const PYTHON = process.env.TUNEBOOK_PYTHON ?? "/usr/bin/python3";

/**
 * Runs a Python snippet as an independent reference for tests and returns its stdout.
 * @param code - Python source run with `-c`
 * @param args - extra argv (available as `sys.argv[1:]`)
 * @param input - optional text for standard input
 * @returns stdout
 * @throws Error with Python's stderr when it exits non-zero
 * @example
 * ```ts
 * runPython("import sys; print(sys.argv[1])", ["hi"]); // "hi\n"
 * ```
 */
export function runPython(code: string, args: string[] = [], input?: string): string {
  const r = spawnSync(PYTHON, ["-c", code, ...args], { encoding: "utf8", input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr || r.error}`);
  return r.stdout;
}
