import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";
import { qwenSlidingWindow } from "./sliding-window";

/**
 * Qwen3 (dense): per-head RMSNorm of q and k before RoPE, an explicit `head_dim`, optional `attention_bias`.
 * @example
 * ```ts
 * const config = qwen3.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * ```
 */
export const qwen3: Architecture = {
  name: "qwen3",
  modelTypes: ["qwen3"],
  normalize: (raw) => {
    const { base } = parseHfDecoderConfig(raw, "qwen3");
    const slidingWindow = qwenSlidingWindow(raw, base.numLayers, "qwen3");
    return { ...base, qkNorm: true, biases: { ...base.biases, mlp: false }, slidingWindow };
  },
};
