import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";
import { qwenSlidingWindow } from "./sliding-window";

/**
 * Qwen2 / Qwen2.5 (also DeepSeek-R1 distills on Qwen): the Llama block with biases on q, k and v (not o);
 * sliding-window attention with `use_sliding_window` on layers from `max_window_layers`.
 * @example
 * ```ts
 * const config = qwen2.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * ```
 */
export const qwen2: Architecture = {
  name: "qwen2",
  modelTypes: ["qwen2"],
  normalize: (raw) => {
    const { base } = parseHfDecoderConfig(raw, "qwen2");
    const slidingWindow = qwenSlidingWindow(raw, base.numLayers, "qwen2");
    return { ...base, biases: { qkv: true, o: false, mlp: false }, slidingWindow };
  },
};
