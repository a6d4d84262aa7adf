import { spawnSync } from "node:child_process";

/**
 * Runs a Python script with Debian's /usr/bin/python3 (which has numpy, scikit-learn, NLTK, torch), passing
 * `input` as JSON on stdin and parsing JSON from stdout. Used by tests to compute reference values.
 * @param script - Python source; it reads `json.load(sys.stdin)` and prints one JSON document
 * @param input - anything JSON-serialisable
 * @returns the parsed stdout
 * @throws Error when the script fails
 * @example
 * ```ts
 * runPython("import json,sys; print(json.dumps(sum(json.load(sys.stdin))))", [1, 2]); // 3
 * ```
 */
export function runPython<T = unknown>(script: string, input: unknown): T {
  const r = spawnSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OMP_NUM_THREADS: "1", PYTHONWARNINGS: "ignore" },
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A small seeded PRNG (mulberry32), so generated test inputs are reproducible. */
export { seededRandom } from "../../sdk/util/seeded-random";
