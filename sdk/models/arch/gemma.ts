import type { Architecture } from "./architecture";
import { type DecoderConfig, type LayerNorms, parseHfDecoderConfig } from "./decoder-config";

/**
 * Gemma 2/3's norms: `post_attention_layernorm` on the attention output, `pre_feedforward_layernorm` and
 * `post_feedforward_layernorm` around the MLP (besides `input_layernorm` before attention).
 */
export const SANDWICH_NORMS: LayerNorms = {
  attention: { pre: "input_layernorm", post: "post_attention_layernorm" },
  mlp: { pre: "pre_feedforward_layernorm", post: "post_feedforward_layernorm" },
};

/**
 * The conventions every Gemma generation shares, on top of the Llama-style fields: `hidden_activation`
 * (gelu-tanh), `(1 + w)` RMSNorm, embeddings × √hidden, tied embeddings by default.
 * @param raw - `config.json` (or a `text_config`) as stored, with the family's defaults filled in
 * @param modelType - the `model_type` it serves, for messages
 * @returns the normalised config (Gemma 2/3 add their differences)
 * @throws ConfigError for missing or invalid fields
 * @example
 * ```ts
 * const base = gemmaConventions(raw, "gemma2");
 * ```
 */
export function gemmaConventions(raw: Readonly<Record<string, unknown>>, modelType: string): DecoderConfig {
  const { hf, base } = parseHfDecoderConfig(raw, modelType);
  const act = typeof raw.hidden_activation === "string" ? raw.hidden_activation : undefined;
  return {
    ...base,
    // GemmaConfig reads hidden_activation, falling back to hidden_act (old configs say "gelu" for the tanh form).
    hiddenAct: act ?? (hf.hidden_act === "gelu" ? "gelu_pytorch_tanh" : hf.hidden_act),
    tieWordEmbeddings: hf.tie_word_embeddings ?? true,
    normUnitOffset: true,
    embedScale: Math.sqrt(base.hiddenSize),
  };
}

/**
 * Gemma (1): embeddings scaled by √hidden, RMSNorm with `(1 + w)`, a gated MLP with `hidden_activation`
 * (gelu-tanh), tied embeddings by default.
 * @example
 * ```ts
 * const config = gemma.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * ```
 */
export const gemma: Architecture = {
  name: "gemma",
  modelTypes: ["gemma"],
  normalize: (raw) => gemmaConventions(raw, "gemma"),
};
