import { ConfigError } from "../../errors";
import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";

type Issue = { path: (string | number)[]; message: string };

/**
 * Which layers apply RoPE, as SmolLM3Config decides: `no_rope_layers[i]` is 1 for a layer WITH RoPE and 0 for a
 * NoPE layer (the name says the opposite); without the list, every `no_rope_layer_interval`-th layer (default 4:
 * layers 3, 7, 11, …) has no RoPE.
 */
function ropeLayers(raw: Readonly<Record<string, unknown>>, numLayers: number, issues: Issue[]): boolean[] {
  const list = raw.no_rope_layers;
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list) || list.length < numLayers || list.some((v) => v !== 0 && v !== 1)) {
      const got = Array.isArray(list) ? `a list of ${list.length}` : JSON.stringify(list);
      const message = `expected a list of at least num_hidden_layers (${numLayers}) entries, each 1 (RoPE) or 0 (no RoPE); got ${got}`;
      issues.push({ path: ["no_rope_layers"], message });
      return [];
    }
    return list.slice(0, numLayers).map((v) => v === 1);
  }
  const interval = raw.no_rope_layer_interval ?? 4;
  if (typeof interval !== "number" || !Number.isInteger(interval) || interval < 1) {
    issues.push({
      path: ["no_rope_layer_interval"],
      message: `expected a positive integer, got ${JSON.stringify(interval)}`,
    });
    return [];
  }
  return Array.from({ length: numLayers }, (_, i) => (i + 1) % interval !== 0);
}

/**
 * SmolLM3 (Hugging Face's SmolLM3-3B): the Llama block with no RoPE in the layers its config names
 * (`no_rope_layers`, or every `no_rope_layer_interval`-th layer), tied embeddings by default, `rope_theta`
 * default 2,000,000. Sliding-window attention (`use_sliding_window: true` with a `sliding_window`) is refused: it is not implemented.
 * @example
 * ```ts
 * const config = smollm3.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * config.ropeLayers; // [true, true, true, false, …]
 * ```
 */
export const smollm3: Architecture = {
  name: "smollm3",
  modelTypes: ["smollm3"],
  normalize: (raw) => {
    const source = "config.json (model_type smollm3)";
    const { hf, base } = parseHfDecoderConfig({ rope_theta: 2_000_000, ...raw }, "smollm3");
    const issues: Issue[] = [];
    const layers = ropeLayers(raw, base.numLayers, issues);
    // SmolLM3Attention: a sliding window only with use_sliding_window, a window size, and a "sliding_attention"
    // layer (by default the NoPE layers).
    const types = Array.isArray(raw.layer_types)
      ? raw.layer_types
      : layers.map((r) => (r ? "full" : "sliding_attention"));
    const sliding =
      raw.use_sliding_window === true && raw.sliding_window != null && types.includes("sliding_attention");
    if (sliding) {
      const message = `sliding-window attention is not supported; set use_sliding_window to false (got use_sliding_window ${JSON.stringify(raw.use_sliding_window)}, sliding_window ${JSON.stringify(raw.sliding_window)})`;
      issues.push({ path: ["use_sliding_window"], message });
    }
    if (issues.length) throw new ConfigError(issues, { source });
    return { ...base, tieWordEmbeddings: hf.tie_word_embeddings ?? true, ropeLayers: layers };
  },
};
