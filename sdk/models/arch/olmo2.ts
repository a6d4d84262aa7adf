import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";

/**
 * OLMo 2 (AI2's fully open models): RMSNorm on each sublayer's output instead of its input
 * (`post_attention_layernorm` after attention, `post_feedforward_layernorm` after the MLP, no pre-norms), and
 * RMSNorm of q and k over the whole projection (`q_norm` `[H·D]`, `k_norm` `[K·D]`) before RoPE; otherwise the
 * Llama block (optional `attention_bias` on q/k/v/o).
 * @example
 * ```ts
 * const config = olmo2.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * config.layerNorms?.attention.post; // "post_attention_layernorm"
 * ```
 */
export const olmo2: Architecture = {
  name: "olmo2",
  modelTypes: ["olmo2"],
  normalize: (raw) => {
    const { base } = parseHfDecoderConfig(raw, "olmo2");
    return {
      ...base,
      biases: { ...base.biases, mlp: false },
      qkNorm: true,
      qkNormScope: "projection",
      layerNorms: {
        attention: { post: "post_attention_layernorm" },
        mlp: { post: "post_feedforward_layernorm" },
      },
    };
  },
};
