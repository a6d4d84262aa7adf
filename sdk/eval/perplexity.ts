import { z } from "zod";
import { MetricInputError } from "./errors";
import { parseOptions, sameLength } from "./validate";

const perplexitySchema = z.union([
  z.object({
    logProbs: z.array(z.array(z.number().nonpositive())),
    reduce: z.enum(["token", "row-mean"]).default("token"),
  }),
  z.object({
    nll: z.array(z.number().nonnegative()),
    tokenCounts: z.array(z.number().int().nonnegative()),
    reduce: z.enum(["token", "row-mean"]).default("token"),
  }),
]);

/**
 * Options of {@link perplexity}: either per-row arrays of answer-token log-probabilities (natural log), or per-row
 * summed negative log-likelihood with token counts. `reduce: "token"` (default) averages the cross-entropy over
 * all tokens of all rows, like the trainer's loss; `"row-mean"` averages per-row perplexities, as H2O LLM Studio
 * reports it.
 */
export type PerplexityOptions = z.input<typeof perplexitySchema>;

/** Perplexity over a set of rows, with each row's own perplexity. */
export interface PerplexityResult {
  /** `exp(total NLL / total tokens)` (or the mean of `perRow` with `reduce: "row-mean"`). */
  value: number;
  /** Mean cross-entropy per token (nats), the loss the trainer reports. */
  crossEntropy: number;
  /** `exp(row NLL / row tokens)`; NaN for a row with no tokens. */
  perRow: number[];
  /** Tokens counted. */
  tokens: number;
}

/**
 * Perplexity from token log-probabilities: `exp(mean cross-entropy)` over answer tokens, the same number as
 * `exp(loss)` for a token-averaged cross-entropy loss.
 * @param options - `logProbs` per row, or `nll` + `tokenCounts` per row; optional `reduce`
 * @returns the perplexity, the mean cross-entropy and per-row perplexities
 * @throws ConfigError when the options are malformed (e.g. a positive log-probability)
 * @throws MetricInputError when there are no tokens at all, or lengths differ
 * @example
 * ```ts
 * perplexity({ logProbs: [[Math.log(0.5), Math.log(0.25)]] }).value; // 2.828… = exp(−(ln ½ + ln ¼)/2)
 * ```
 */
export function perplexity(options: PerplexityOptions): PerplexityResult {
  const o = parseOptions(perplexitySchema, options, "perplexity");
  let nll: number[];
  let counts: number[];
  if ("logProbs" in o) {
    nll = o.logProbs.map((row) => -row.reduce((a, b) => a + b, 0));
    counts = o.logProbs.map((row) => row.length);
  } else {
    sameLength("perplexity", { nll: o.nll, tokenCounts: o.tokenCounts });
    nll = o.nll;
    counts = o.tokenCounts;
  }
  const tokens = counts.reduce((a, b) => a + b, 0);
  if (tokens === 0) {
    throw new MetricInputError({
      metric: "perplexity",
      expected: "at least one answer token",
      found: "0 tokens",
      fix: "Check the label mask: every row's answer tokens seem masked out.",
    });
  }
  const crossEntropy = nll.reduce((a, b) => a + b, 0) / tokens;
  const perRow = nll.map((l, i) => (counts[i] > 0 ? Math.exp(l / counts[i]) : Number.NaN));
  const scored = perRow.filter((p) => !Number.isNaN(p));
  const value =
    o.reduce === "token" ? Math.exp(crossEntropy) : scored.reduce((a, b) => a + b, 0) / scored.length;
  return { value, crossEntropy, perRow, tokens };
}
