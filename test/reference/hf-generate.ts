/**
 * TypeScript wrapper of `hf_generate.py`: Hugging Face's logits processors (repetition penalty, min new tokens,
 * temperature, top-k, top-p) in PyTorch, applied in `generate`'s order to given scores.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULT_PYTHON, runReferenceScript } from "./run-script";

/** One row of scores to process. */
export interface ProcessorCase {
  scores: number[];
  /** Token ids already in the sequence (for the repetition penalty). */
  ids?: number[];
  penalty?: number;
  /** Ids set to −∞ (end-of-sequence ids before `min_new_tokens`). */
  suppress?: number[];
  temperature?: number;
  top_k?: number;
  top_p?: number;
}

/**
 * Processes each case as Hugging Face `generate` would before sampling.
 * @param cases - the rows
 * @param python - interpreter with torch
 * @returns processed scores (`null` = −∞) and the resulting probabilities, per case
 * @throws ReferenceUnavailableError without torch; ReferenceScriptError when the script fails
 * @example
 * ```ts
 * const { scores } = await hfLogitsProcessors([{ scores: [1, 2, 3], top_k: 2 }]);
 * ```
 */
export async function hfLogitsProcessors(
  cases: ProcessorCase[],
  python: string = DEFAULT_PYTHON,
): Promise<{ scores: (number | null)[][]; probs: number[][] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tunebook-hfgen-"));
  try {
    const input = path.join(dir, "cases.json");
    const out = path.join(dir, "out.json");
    await writeFile(input, JSON.stringify({ cases }));
    await runReferenceScript(python, "hf_generate.py", ["--input", input, "--out", out]);
    return JSON.parse(await readFile(out, "utf8"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
