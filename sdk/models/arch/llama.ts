import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";

/**
 * Llama (and models published under `model_type: "llama"`: H2O Danube 1, DeepSeek LLM dense, SmolLM, TinyLlama):
 * RMSNorm, grouped-query attention with `rotate_half` RoPE, SwiGLU MLP, optional `attention_bias`/`mlp_bias`.
 * @example
 * ```ts
 * const config = llama.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * ```
 */
export const llama: Architecture = {
  name: "llama",
  modelTypes: ["llama"],
  normalize: (raw) => parseHfDecoderConfig(raw, "llama").base,
};
