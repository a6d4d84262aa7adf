import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ReferenceScriptError } from "./reference-script-error";
import { ReferenceUnavailableError } from "./reference-unavailable-error";

/** Exit code and stderr marker hf_reference.py uses when `import torch` fails. */
const UNAVAILABLE_EXIT = 3;
const UNAVAILABLE_MARKER = "TUNEBOOK_REFERENCE_UNAVAILABLE";

/** Debian's Python (has python3-torch and python3-numpy), unless TUNEBOOK_PYTHON says otherwise. */
export const DEFAULT_PYTHON = process.env.TUNEBOOK_PYTHON ?? "/usr/bin/python3";

/**
 * Finds a script of test/reference/ whether this module runs from source (tsx) or from dist/.
 * @param name - file name, e.g. `hf_reference.py`
 * @returns absolute path of the script
 * @throws Error when no candidate exists
 * @example
 * ```ts
 * const script = referenceScript("hf_reference.py");
 * ```
 */
export function referenceScript(name: string): string {
  const candidates = [
    path.join(__dirname, name),
    path.resolve(__dirname, "../../../test/reference", name),
    path.resolve("test/reference", name),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`cannot find ${name}; looked in ${candidates.join(", ")}`);
  return found;
}

/**
 * Runs a reference Python script and resolves with its stdout.
 * @param python - interpreter path
 * @param script - script file name inside test/reference/
 * @param args - command-line arguments
 * @returns the script's standard output
 * @throws ReferenceUnavailableError when the interpreter is missing or cannot import torch
 * @throws ReferenceScriptError when the script exits non-zero for another reason
 * @example
 * ```ts
 * const out = await runReferenceScript("/usr/bin/python3", "hf_reference.py", ["--help"]);
 * ```
 */
export function runReferenceScript(python: string, script: string, args: string[]): Promise<string> {
  const file = referenceScript(script);
  const env = {
    ...process.env,
    PYTHONDONTWRITEBYTECODE: "1",
    OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "1",
  };
  return new Promise((resolve, reject) => {
    execFile(python, ["-B", file, ...args], { env, maxBuffer: 1 << 28 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = typeof error.code === "number" ? error.code : null;
      if (error.code === "ENOENT") {
        return reject(new ReferenceUnavailableError(python, "no such interpreter", { cause: error }));
      }
      if (code === UNAVAILABLE_EXIT && stderr.includes(UNAVAILABLE_MARKER)) {
        return reject(new ReferenceUnavailableError(python, "PyTorch is not importable", { cause: error }));
      }
      if (/ModuleNotFoundError: No module named 'numpy'/.test(stderr)) {
        return reject(new ReferenceUnavailableError(python, "numpy is not importable", { cause: error }));
      }
      reject(new ReferenceScriptError(file, args, code, stderr, { cause: error }));
    });
  });
}

/**
 * Whether `python` can import torch and numpy (for skipping reference tests on machines without them).
 * @param python - interpreter path (default /usr/bin/python3 or TUNEBOOK_PYTHON)
 * @returns true when both import
 * @example
 * ```ts
 * test("matches torch", { skip: !(await torchAvailable()) }, async () => {});
 * ```
 */
export function torchAvailable(python: string = DEFAULT_PYTHON): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ["-c", "import torch, numpy"], (error) => resolve(!error));
  });
}
