/**
 * Per-sequence answer log-probabilities on a decoder graph: for each row, the sum of `log p(label token)` over
 * its labelled positions, their number, and their mean (the length-normalised log-probability that IPO, SimPO
 * and ORPO use). When the LM head is frozen, the head and the log-softmax are the fused, chunked
 * `linearCrossEntropy` with `reduction: "none"` (no `[B·T, V]` logits); otherwise the plain logits and
 * `crossEntropy` with `reduction: "none"`.
 * Dimension letters: B rows, T time, C hidden, V vocabulary.
 */
import {
  cast,
  crossEntropy,
  div,
  equal,
  less,
  linearCrossEntropy,
  neg,
  not,
  reduceSum,
  reshape,
  type Tensor,
  where,
} from "../../engine";
import type { DecoderGraph } from "../../models";
import { frozenLmHead } from "./frozen-lm-head";

/** Options of {@link sequenceLogProbs}. */
export interface SequenceLogProbsOptions {
  /**
   * Vocabulary rows per chunk of the fused head (default: the op's); 0 keeps the plain head and materialises
   * the `[B·T, V]` logits.
   */
  chunkSize?: number;
  /**
   * A bool scalar: when false, the fused head computes no hidden-state gradient (the step's `train` input for a
   * policy; a constant false for a reference model, through which no gradient flows). Absent: always computed.
   */
  withGrad?: Tensor;
}

/** Each row's answer log-probability: `[B]` sums, label counts and means. */
export interface SequenceLogProbs {
  /** `Σ_t log p(label_t)` over the row's labelled positions. */
  sum: Tensor;
  /** Number of labelled positions (float). */
  tokens: Tensor;
  /** `sum / tokens` (0 for a row without a label). */
  mean: Tensor;
}

/**
 * The answer log-probabilities of each row of `built` against `labels`.
 * @param built - a decoder graph (a policy from `backbone.buildGraph`, or a reference from
 *   `backbone.buildReferenceGraph`)
 * @param labels - int64 `[B, T]` targets, already shifted (position `t` holds the token after it), −100 where
 *   nothing is learned
 * @param options - chunk size, the `withGrad` flag
 * @returns `[B]` sums, counts and means
 * @example
 * ```ts
 * const { sum, mean } = sequenceLogProbs(policy, policy.graph.input("labels", "int64", ["B", "T"]));
 * ```
 */
export function sequenceLogProbs(
  built: DecoderGraph,
  labels: Tensor,
  options: SequenceLogProbsOptions = {},
): SequenceLogProbs {
  const flat = reshape(labels, ["B*T"]);
  const weight = options.chunkSize === 0 ? undefined : frozenLmHead(built);
  let nll: Tensor;
  if (weight) {
    const hidden = reshape(built.hidden, ["B*T", built.hidden.shape[2]]);
    nll = linearCrossEntropy(hidden, weight, flat, {
      reduction: "none",
      chunkSize: options.chunkSize,
      withGrad: options.withGrad,
    });
  } else {
    const V = built.logits.shape[built.logits.rank - 1];
    nll = crossEntropy(reshape(built.logits, ["B*T", V]), flat, { reduction: "none" });
  }
  const sum = neg(reduceSum(reshape(nll, ["B", "T"]), [1]));
  const tokens = reduceSum(cast(not(equal(labels, -100)), sum.dtype), [1]);
  const mean = div(sum, where(less(tokens, 1), 1, tokens));
  return { sum, tokens, mean };
}
