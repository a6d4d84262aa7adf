/**
 * The normalised decoder configuration every architecture builder reads: Hugging Face `config.json` names are
 * translated to these camelCase fields once, in each family's normaliser.
 */
import { z } from "zod";
import { ConfigError, parseOptions } from "../../errors";
import { type RopeParameters, ropeParameters } from "./rope";

/** A decoder-only transformer's shape and conventions, after normalisation. */
export interface DecoderConfig {
  /** The `model_type` it was read from (`llama`, `qwen2`, …). */
  readonly modelType: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  /** MLP width. */
  readonly intermediateSize: number;
  readonly numLayers: number;
  /** Query heads. */
  readonly numHeads: number;
  /** Key/value heads (grouped-query attention when fewer than `numHeads`). */
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  /** Inverse frequencies, rotated dimensions and attention scaling of the config's RoPE variant. */
  readonly rope: RopeParameters;
  /** Hugging Face activation name of the gated MLP (`silu`, `gelu_pytorch_tanh`, …). */
  readonly hiddenAct: string;
  /** The LM head reuses `model.embed_tokens.weight`. */
  readonly tieWordEmbeddings: boolean;
  /** Which linear layers carry biases. */
  readonly biases: { readonly qkv: boolean; readonly o: boolean; readonly mlp: boolean };
  /** Per-head RMSNorm of q and k before RoPE (Qwen3). */
  readonly qkNorm: boolean;
  /** RMSNorm multiplies by `(1 + w)` (Gemma). */
  readonly normUnitOffset: boolean;
  /** Embeddings are multiplied by this (Gemma: √hidden; others 1). */
  readonly embedScale: number;
  /** q/k RMSNorm over each head (`head`, Qwen3; the default) or over the whole projection (`projection`, OLMo 2). */
  readonly qkNormScope?: "head" | "projection";
  /** q, k and v come from one fused `qkv_proj` (Phi-3), split after the projection. */
  readonly fusedQkv?: boolean;
  /** gate and up come from one fused `gate_up_proj` (Phi-3): gate is the first half, up the second. */
  readonly fusedGateUp?: boolean;
  /** Per layer, whether its attention applies RoPE (SmolLM3's NoPE layers say false); absent: every layer. */
  readonly ropeLayers?: readonly boolean[];
  /** Where each layer's RMSNorms sit; absent: {@link PRE_NORMS} (Llama). */
  readonly layerNorms?: LayerNorms;
  /**
   * Sliding-window attention (Mistral `sliding_window`, Qwen2 `use_sliding_window`, Gemma 2/3): the layers marked
   * `true` in `layers` let a query see only the `size` most recent positions, itself included. Absent: none.
   */
  readonly slidingWindow?: SlidingWindow;
  /** RoPE of the sliding-window layers where it differs from {@link rope} (Gemma 3's `rope_local_base_freq`). */
  readonly slidingRope?: RopeParameters;
  /** Scale of the attention scores (Gemma 2/3: `query_pre_attn_scalar^-½`); absent: `1/√headDim`. */
  readonly attentionScale?: number;
  /** Attention scores become `c·tanh(scores/c)` (Gemma 2's `attn_logit_softcapping`); absent: none. */
  readonly attnLogitSoftcap?: number;
  /** Logits become `c·tanh(logits/c)` (Gemma 2's `final_logit_softcapping`); absent: none. */
  readonly finalLogitSoftcap?: number;
  /**
   * `[graph prefix, stored prefix]` pairs tried in order when a tensor name is not in the checkpoint (Gemma 3's
   * text tower: `model.` is stored as `language_model.model.`).
   */
  readonly tensorAliases?: readonly (readonly [string, string])[];
}

/**
 * The RMSNorms around one sublayer: `pre` normalises its input, `post` its output before the residual add.
 * Values are weight names under `model.layers.{i}.` without `.weight`.
 */
export interface SublayerNorms {
  readonly pre?: string;
  readonly post?: string;
}

/** The RMSNorms around each layer's attention and MLP. */
export interface LayerNorms {
  readonly attention: SublayerNorms;
  readonly mlp: SublayerNorms;
}

/** Llama's layout: `input_layernorm` before attention, `post_attention_layernorm` before the MLP. */
export const PRE_NORMS: LayerNorms = {
  attention: { pre: "input_layernorm" },
  mlp: { pre: "post_attention_layernorm" },
};

/** Which layers attend through a sliding window, and its size. */
export interface SlidingWindow {
  /** W: a query at index q sees keys k with `q − W < k ≤ q`. */
  readonly size: number;
  /** One entry per layer: `true` for a sliding-window layer, `false` for full attention. */
  readonly layers: readonly boolean[];
}

const int = z.number().int().positive();

/** The `config.json` fields shared by the Llama-like families, with Hugging Face spelling. */
export const HfDecoderConfigSchema = z
  .object({
    vocab_size: int,
    hidden_size: int,
    intermediate_size: int,
    num_hidden_layers: int,
    num_attention_heads: int,
    num_key_value_heads: int.nullish(),
    head_dim: int.nullish(),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    hidden_act: z.string().default("silu"),
    tie_word_embeddings: z.boolean().optional(),
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    rope_scaling: z.record(z.unknown()).nullish(),
    partial_rotary_factor: z.number().nullish(),
    max_position_embeddings: int.nullish(),
    original_max_position_embeddings: int.nullish(),
  })
  .passthrough();

/** Parsed shared fields. */
export type HfDecoderConfig = z.output<typeof HfDecoderConfigSchema>;

/**
 * Validates the shared `config.json` fields and fills in the Llama-style defaults.
 * @param raw - `config.json` as stored
 * @param modelType - for messages
 * @returns the parsed fields and the normalised Llama-style config (families override what differs)
 * @throws {@link ConfigError} naming each missing or invalid field, or an unsupported `rope_scaling` (see
 *   {@link ropeParameters})
 * @example
 * ```ts
 * const { hf, base } = parseHfDecoderConfig({ vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 }, "llama");
 * ```
 */
export function parseHfDecoderConfig(
  raw: Readonly<Record<string, unknown>>,
  modelType: string,
): { hf: HfDecoderConfig; base: DecoderConfig } {
  const source = `config.json (model_type ${modelType})`;
  const hf = parseOptions(HfDecoderConfigSchema, raw, source);
  const heads = hf.num_attention_heads;
  const shape: Omit<DecoderConfig, "rope"> = {
    modelType,
    vocabSize: hf.vocab_size,
    hiddenSize: hf.hidden_size,
    intermediateSize: hf.intermediate_size,
    numLayers: hf.num_hidden_layers,
    numHeads: heads,
    numKvHeads: hf.num_key_value_heads ?? heads,
    headDim: hf.head_dim ?? hf.hidden_size / heads,
    rmsNormEps: hf.rms_norm_eps,
    ropeTheta: hf.rope_theta,
    hiddenAct: hf.hidden_act,
    tieWordEmbeddings: hf.tie_word_embeddings ?? false,
    biases: { qkv: hf.attention_bias, o: hf.attention_bias, mlp: hf.mlp_bias },
    qkNorm: false,
    normUnitOffset: false,
    embedScale: 1,
  };
  checkDivisibility(shape, source);
  const base: DecoderConfig = { ...shape, rope: ropeParameters(hf, shape.headDim, source) };
  return { hf, base };
}

function checkDivisibility(c: Omit<DecoderConfig, "rope">, source: string): void {
  const issues = [];
  if (!Number.isInteger(c.headDim) || c.headDim % 2 !== 0) {
    issues.push({ path: ["head_dim"], message: `expected an even integer head size, got ${c.headDim}` });
  }
  if (c.numHeads % c.numKvHeads !== 0) {
    const message = `num_attention_heads ${c.numHeads} must be a multiple of num_key_value_heads ${c.numKvHeads}`;
    issues.push({ path: ["num_key_value_heads"], message });
  }
  if (issues.length) throw new ConfigError(issues, { source });
}
