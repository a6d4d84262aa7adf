import { z } from "zod";
import { MetricInputError } from "../errors";
import { parseOptions, sameLength } from "../validate";
import { type BleuScore, computeBleu, segmentStats, sumStats } from "./bleu-stats";
import { tokenizeForBleu } from "./tokenizer-13a";

const common = {
  smoothing: z.enum(["none", "floor", "add-k", "exp"]).default("exp"),
  smoothValue: z.number().nonnegative().optional(),
  tokenize: z.enum(["13a", "none"]).default("13a"),
  lowercase: z.boolean().default(false),
  maxOrder: z.number().int().positive().default(4),
};
// A missing reference (null/undefined) is dropped, as sacreBLEU drops `None`; an empty string is a reference of
// length 0, as in sacreBLEU.
const refsSchema = z.union([z.string(), z.array(z.string().nullish())]);

const corpusSchema = z.object({
  predictions: z.array(z.string()),
  references: z.array(refsSchema),
  effectiveOrder: z.boolean().default(false),
  ...common,
});
const sentenceSchema = z.object({
  prediction: z.string(),
  references: refsSchema,
  effectiveOrder: z.boolean().default(true),
  ...common,
});
const sentenceMeanSchema = z.object({
  predictions: z.array(z.string()),
  references: z.array(refsSchema),
  effectiveOrder: z.boolean().default(true),
  ...common,
});

/** Options of {@link corpusBleu}: sacreBLEU's `corpus_bleu` defaults (13a, `exp` smoothing, no effective order). */
export type CorpusBleuOptions = z.input<typeof corpusSchema>;
/** Options of {@link sentenceBleu}: sacreBLEU's `sentence_bleu` defaults (13a, `exp`, effective order on). */
export type SentenceBleuOptions = z.input<typeof sentenceSchema>;
/** Options of {@link sentenceBleuScores}: the sentence-BLEU settings applied to every row. */
export type SentenceBleuScoresOptions = z.input<typeof sentenceMeanSchema>;

type Settings = z.output<typeof sentenceSchema>;

/** The references of one row that sacreBLEU keeps: all but missing ones (`''` stays, as a reference of length 0). */
function presentRefs(refs: string | readonly (string | null | undefined)[]): string[] {
  return (typeof refs === "string" ? [refs] : refs).filter((r): r is string => r !== null && r !== undefined);
}

function rowRefs(refs: string | readonly (string | null | undefined)[], row: number): string[] {
  const kept = presentRefs(refs);
  if (kept.length === 0) {
    throw new MetricInputError({
      metric: "bleu",
      expected: "at least one reference per row (an empty string counts; null and undefined do not)",
      found: `none in row ${row}`,
      fix: "Give the row a reference, or drop it before scoring.",
    });
  }
  return kept;
}

function rowStats(s: Omit<Settings, "prediction" | "references">, hyp: string, refs: string[]) {
  const tok = (t: string) => tokenizeForBleu(t, s.tokenize, s.lowercase);
  return segmentStats(
    tok(hyp),
    refs.map((r) => tok(r)),
    s.maxOrder,
  );
}

/**
 * Corpus BLEU, identical to sacreBLEU's `corpus_bleu(hyps, refs)`: n-gram statistics summed over all rows, then
 * one score. Each row's references may be one string or several (sacreBLEU's reference streams, transposed).
 * @param options - `predictions`, `references` (one entry per row) and sacreBLEU settings
 * @returns the score (0–100) with precisions, brevity penalty and lengths
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when lengths differ or a row has no reference (an empty string is one; null is not)
 * @example
 * ```ts
 * corpusBleu({ predictions: ["The dog bit the man."], references: [["The dog bit the man.", "The dog had bit the man."]] }).score; // 100
 * ```
 */
export function corpusBleu(options: CorpusBleuOptions): BleuScore {
  const s = parseOptions(corpusSchema, options, "corpusBleu");
  sameLength("bleu", { predictions: s.predictions, references: s.references });
  const stats = s.predictions.map((h, i) => rowStats(s, h, rowRefs(s.references[i], i)));
  return computeBleu(sumStats(stats, s.maxOrder), s.smoothing, s.smoothValue, s.effectiveOrder);
}

/**
 * Sentence BLEU, identical to sacreBLEU's `sentence_bleu(hyp, refs)` (effective order and `exp` smoothing by default).
 * @param options - `prediction`, its `references` and sacreBLEU settings
 * @returns the score (0–100) with its parts
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when there is no reference (an empty string is one; null is not)
 * @example
 * ```ts
 * sentenceBleu({ prediction: "a test", references: "a test" }).score; // 100
 * ```
 */
export function sentenceBleu(options: SentenceBleuOptions): BleuScore {
  const s = parseOptions(sentenceSchema, options, "sentenceBleu");
  const stats = rowStats(s, s.prediction, rowRefs(s.references, 0));
  return computeBleu(stats, s.smoothing, s.smoothValue, s.effectiveOrder);
}

/**
 * Sentence BLEU of every row, as H2O LLM Studio scores validation rows (sacreBLEU `BLEU(effective_order=True)
 * .sentence_score` per row; a row whose references are all empty or missing scores 0 instead of failing, other rows
 * keep their empty references as sacreBLEU does). Its mean is the number
 * H2O LLM Studio reports as "BLEU"; it is not corpus BLEU.
 * @param options - `predictions`, `references` (one entry per row) and sentence-BLEU settings
 * @returns one score (0–100) per row
 * @throws ConfigError when the options are malformed
 * @throws MetricInputError when lengths differ
 * @example
 * ```ts
 * sentenceBleuScores({ predictions: ["a test", "b"], references: ["a test", "c"] }); // [100, 0]
 * ```
 */
export function sentenceBleuScores(options: SentenceBleuScoresOptions): number[] {
  const s = parseOptions(sentenceMeanSchema, options, "sentenceBleuScores");
  sameLength("bleu", { predictions: s.predictions, references: s.references });
  return s.predictions.map((h, i) => {
    const kept = presentRefs(s.references[i]);
    if (kept.every((r) => r === "")) return 0;
    return computeBleu(rowStats(s, h, kept), s.smoothing, s.smoothValue, s.effectiveOrder).score;
  });
}
