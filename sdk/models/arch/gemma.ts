import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";

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
  normalize: (raw) => {
    const { hf, base } = parseHfDecoderConfig(raw, "gemma");
    const act = typeof raw.hidden_activation === "string" ? raw.hidden_activation : undefined;
    return {
      ...base,
      // GemmaConfig reads hidden_activation, falling back to hidden_act (old configs say "gelu" for the tanh form).
      hiddenAct: act ?? (hf.hidden_act === "gelu" ? "gelu_pytorch_tanh" : hf.hidden_act),
      tieWordEmbeddings: hf.tie_word_embeddings ?? true,
      normUnitOffset: true,
      embedScale: Math.sqrt(base.hiddenSize),
    };
  },
};
