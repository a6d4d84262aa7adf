import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";
import { slidingWindowOf } from "./sliding-window";

/**
 * Mistral (also H2O Danube 2/3): the Llama block without biases; `sliding_window` (when not null) limits every
 * layer's attention to the window's most recent positions.
 * @example
 * ```ts
 * const config = mistral.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * ```
 */
export const mistral: Architecture = {
  name: "mistral",
  modelTypes: ["mistral"],
  normalize: (raw) => {
    const { base } = parseHfDecoderConfig(raw, "mistral");
    const slidingWindow = slidingWindowOf(
      raw,
      base.numLayers,
      "config.json (model_type mistral)",
      () => true,
    );
    return { ...base, biases: { qkv: false, o: false, mlp: false }, slidingWindow };
  },
};
