/** An example's prompt and last answer, as token ids: what generation starts from and what it is compared to. */
import type { TokenizedExample } from "../../data";

/**
 * Splits an example into prompt ids and the ids of its last answer (its last run of trained tokens).
 * @param ex - a tokenized example
 * @returns the ids before the last answer (the prompt as the model sees it) and the answer's ids
 * @example
 * ```ts
 * const { prompt } = promptAndAnswer(validation.examples[0]);
 * ```
 */
export function promptAndAnswer(ex: TokenizedExample): { prompt: number[]; answer: number[] } {
  let end = ex.target.length;
  while (end > 0 && !ex.target[end - 1]) end--;
  let start = end;
  while (start > 0 && ex.target[start - 1]) start--;
  return { prompt: Array.from(ex.ids.subarray(0, start)), answer: Array.from(ex.ids.subarray(start, end)) };
}
