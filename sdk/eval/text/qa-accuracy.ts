import { z } from "zod";
import { parseOptions, sameLength } from "../validate";
import { pySplit } from "./tokenizer-13a";

// Python's string.punctuation (ASCII only), as the SQuAD v1.1 evaluation script removes it.
const PUNCT = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
// Python's Unicode `\b(a|an|the)\b`: word characters are letters, digits and underscore.
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;

/**
 * SQuAD-style answer normalisation: lowercase, drop ASCII punctuation, drop the articles a/an/the, collapse
 * whitespace (the official SQuAD v1.1 `normalize_answer`).
 * @param text - an answer
 * @returns the normalised answer
 * @example
 * ```ts
 * normalizeAnswer("The  Eiffel Tower!"); // "eiffel tower"
 * ```
 */
export function normalizeAnswer(text: string): string {
  const lower = text.toLowerCase();
  const noPunct = [...lower].filter((c) => !PUNCT.has(c)).join("");
  const noArticles = noPunct.replace(ARTICLES, " ");
  return pySplit(noArticles).join(" ");
}

const qaSchema = z.object({
  predictions: z.array(z.string()),
  references: z.array(z.union([z.string(), z.array(z.string()).min(1)])),
  mode: z.enum(["exact", "contains"]).default("exact"),
});

/** Options of {@link qaMatches}. */
export type QaOptions = z.input<typeof qaSchema>;

/**
 * Per-row QA match (1 or 0), best over each row's references.
 * `"exact"`: normalised prediction equals a normalised reference (SQuAD exact match).
 * `"contains"`: a normalised reference appears in the normalised prediction as whole words (for chatty models
 * that answer "It is Paris, of course." to "Paris").
 * @param options - `predictions`, `references` (a string or several per row) and `mode`
 * @returns 1 or 0 per row
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when the lengths differ or are zero
 * @example
 * ```ts
 * qaMatches({ predictions: ["The Paris"], references: ["paris"] }); // [1]
 * qaMatches({ predictions: ["It is Paris."], references: [["Paris", "City of Light"]], mode: "contains" }); // [1]
 * ```
 */
export function qaMatches(options: QaOptions): number[] {
  const { predictions, references, mode } = parseOptions(qaSchema, options, "qaMatches");
  sameLength("qaAccuracy", { predictions, references });
  return predictions.map((p, i) => {
    const pred = normalizeAnswer(p);
    const refs = (typeof references[i] === "string" ? [references[i]] : references[i]) as string[];
    const hit = refs.some((r) => {
      const ref = normalizeAnswer(r);
      return mode === "exact" ? pred === ref : ref !== "" && ` ${pred} `.includes(` ${ref} `);
    });
    return hit ? 1 : 0;
  });
}
