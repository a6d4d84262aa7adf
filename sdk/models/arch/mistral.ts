import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";

/**
 * Mistral (also H2O Danube 2/3): the Llama block without biases. `sliding_window` is not applied: results are
 * exact for sequences no longer than the window (4096 in the published models).
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
    return { ...base, biases: { qkv: false, o: false, mlp: false } };
  },
};
