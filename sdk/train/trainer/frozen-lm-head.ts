/**
 * Recognises a frozen LM head in a built decoder graph: logits that are exactly `hidden · Wᵀ` (the engine's
 * `linear`, a `Gemm` with `transB`) with `W` a frozen `[V, C]` parameter — tied embeddings or `lm_head.weight`,
 * with no LoRA on `lm_head` and no full fine-tuning. Anything else (a LoRA branch, a trainable weight, a
 * quantized or post-processed head) is not recognised, and the caller keeps the plain head and loss.
 * Dimension letters: N rows, C hidden, V vocabulary.
 */
import { Gemm, Reshape, type Tensor } from "../../engine";
import type { DecoderGraph } from "../../models";

/**
 * The frozen head weight of `built`, if its logits are a plain projection of its hidden states by one.
 * @param built - a graph from `backbone.buildGraph()`
 * @returns the `[V, C]` weight parameter, or undefined when the head is not a frozen plain projection
 * @example
 * ```ts
 * const weight = frozenLmHead(backbone.buildGraph({ training: true })); // the embeddings, for a tied LoRA model
 * ```
 */
export function frozenLmHead(built: DecoderGraph): Tensor | undefined {
  let head = built.logits.node;
  if (head?.op === Reshape) head = head.inputs[0].node;
  if (head?.op !== Gemm || head.attrs.transA || !head.attrs.transB || head.attrs.alpha !== 1)
    return undefined;
  const [rows, weight] = head.inputs;
  const input = rows.node?.op === Reshape ? rows.node.inputs[0] : rows;
  if (input !== built.hidden) return undefined;
  const src = weight.source;
  if (src.kind !== "param" || src.trainable || weight.dtype !== built.hidden.dtype) return undefined;
  return weight;
}
