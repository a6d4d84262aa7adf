import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";

/**
 * Qwen2 / Qwen2.5 (also DeepSeek-R1 distills on Qwen): the Llama block with biases on q, k and v (not o).
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
    return { ...base, biases: { qkv: true, o: false, mlp: false } };
  },
};
