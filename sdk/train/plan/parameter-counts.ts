/**
 * Parameter counts of a decoder by module, from its configuration alone (no weights read), and the LoRA
 * parameters a target list adds. Dimension letters: C hidden, I intermediate, H heads, K key/value heads, D head
 * size, V vocabulary, L layers.
 */
import { type DecoderConfig, isLoraTarget } from "../../models";

/** Parameter counts by module of a decoder. */
export interface ParameterCounts {
  /** `embed_tokens`: V·C. */
  readonly embedding: number;
  /** The untied `lm_head` (0 when tied to the embedding). */
  readonly lmHead: number;
  /** Linear weights (and biases) of every layer's attention and MLP. */
  readonly linear: number;
  /** RMSNorm weights. */
  readonly norms: number;
  /** Everything. */
  readonly total: number;
  /** Weights a matmul reads per token: the layers' linear weights and the LM head (tied or not). */
  readonly matmul: number;
}

/** The linear modules of one layer: name, input and output size. */
export function layerLinears(c: DecoderConfig): { name: string; in: number; out: number; bias: boolean }[] {
  const { hiddenSize: C, intermediateSize: I, numHeads: H, numKvHeads: K, headDim: D } = c;
  return [
    { name: "self_attn.q_proj", in: C, out: H * D, bias: c.biases.qkv },
    { name: "self_attn.k_proj", in: C, out: K * D, bias: c.biases.qkv },
    { name: "self_attn.v_proj", in: C, out: K * D, bias: c.biases.qkv },
    { name: "self_attn.o_proj", in: H * D, out: C, bias: c.biases.o },
    { name: "mlp.gate_proj", in: C, out: I, bias: c.biases.mlp },
    { name: "mlp.up_proj", in: C, out: I, bias: c.biases.mlp },
    { name: "mlp.down_proj", in: I, out: C, bias: c.biases.mlp },
  ];
}

/**
 * Counts a decoder's parameters by module.
 * @param c - the normalised configuration
 * @returns the counts
 * @example
 * ```ts
 * countParameters(backbone.config).total; // 494032768 for Qwen2.5-0.5B
 * ```
 */
export function countParameters(c: DecoderConfig): ParameterCounts {
  const perLayer = layerLinears(c).reduce((n, m) => n + m.in * m.out + (m.bias ? m.out : 0), 0);
  const linear = c.numLayers * perLayer;
  const embedding = c.vocabSize * c.hiddenSize;
  const lmHead = c.tieWordEmbeddings ? 0 : embedding;
  const norms = c.hiddenSize * (2 * c.numLayers + 1) + (c.qkNorm ? 2 * c.numLayers * c.headDim : 0);
  const total = embedding + lmHead + linear + norms;
  return { embedding, lmHead, linear, norms, total, matmul: linear + embedding };
}

/**
 * The number of LoRA parameters (`r·(in + out)` per targeted module, plus `out` for a DoRA magnitude) for a target
 * list.
 * @param c - the normalised configuration
 * @param targets - module names or `all-linear`
 * @param r - the rank
 * @param dora - DoRA adapters (a magnitude `[out]` per module); default false
 * @returns the count (0 when nothing matches)
 * @example
 * ```ts
 * loraParameterCount(config, ["q_proj", "v_proj"], 8);
 * ```
 */
export function loraParameterCount(
  c: DecoderConfig,
  targets: readonly string[] | "all-linear",
  r: number,
  dora = false,
): number {
  const per = (m: { in: number; out: number }) => r * (m.in + m.out) + (dora ? m.out : 0);
  const perLayer = layerLinears(c)
    .filter((m) => isLoraTarget(`model.layers.0.${m.name}`, targets))
    .reduce((n, m) => n + per(m), 0);
  const head = isLoraTarget("lm_head", targets) ? per({ in: c.hiddenSize, out: c.vocabSize }) : 0;
  return c.numLayers * perLayer + head;
}
