import { ConfigError } from "../../errors";
import type { Architecture } from "./architecture";
import type { DecoderConfig } from "./decoder-config";
import { gemmaConventions, SANDWICH_NORMS } from "./gemma";
import { positiveField } from "./gemma2";
import { ropeParameters } from "./rope";
import { slidingWindowOf } from "./sliding-window";

/**
 * Gemma3TextConfig's defaults: a `gemma3` checkpoint's `text_config` (Gemma 3 4B and up) names only what differs
 * from them, so every field the builder reads has one here.
 */
const TEXT_DEFAULTS = {
  vocab_size: 262_208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  hidden_activation: "gelu_pytorch_tanh",
  max_position_embeddings: 131_072,
  rms_norm_eps: 1e-6,
  rope_theta: 1_000_000,
  rope_local_base_freq: 10_000,
  query_pre_attn_scalar: 256,
  sliding_window: 4096,
  sliding_window_pattern: 6,
  final_logit_softcapping: null,
  attn_logit_softcapping: null,
  tie_word_embeddings: true,
};

/**
 * Stored-name prefixes of the text tower in a `gemma3` (image-text) checkpoint: hub files say
 * `language_model.model.…` (and `language_model.lm_head`), files saved by transformers ≥ 4.52
 * `model.language_model.…`. Tried in order when a `model.…` / `lm_head.…` name is missing.
 */
const TEXT_TOWER_ALIASES = [
  ["model.", "language_model.model."],
  ["model.", "model.language_model."],
  ["lm_head.", "language_model.lm_head."],
] as const;

type Raw = Readonly<Record<string, unknown>>;

/** Maps transformers v5's per-layer-type `rope_parameters` onto the `rope_theta`/`rope_scaling`/local fields. */
function ropeFields(raw: Raw, source: string): Raw {
  const params = raw.rope_parameters as
    | Record<string, Record<string, unknown> | undefined>
    | null
    | undefined;
  if (params === undefined || params === null) return raw;
  const full = params.full_attention;
  const sliding = params.sliding_attention;
  const fail = (message: string): never => {
    throw new ConfigError([{ path: ["rope_parameters"], message }], { source });
  };
  if (!full || !sliding) return fail("expected full_attention and sliding_attention entries");
  if ((sliding.rope_type ?? "default") !== "default") {
    fail(
      `sliding_attention: rope_type ${JSON.stringify(sliding.rope_type)} is not supported; expected "default"`,
    );
  }
  const { rope_theta, ...scaling } = full;
  return {
    ...raw,
    rope_theta: rope_theta ?? raw.rope_theta,
    rope_scaling: (scaling.rope_type ?? "default") === "default" ? null : scaling,
    rope_local_base_freq: sliding.rope_theta ?? raw.rope_local_base_freq,
  };
}

function normalizeText(stored: Raw, modelType: string, source: string): DecoderConfig {
  const raw = ropeFields({ ...TEXT_DEFAULTS, ...stored }, source);
  if (raw.use_bidirectional_attention === true) {
    const message =
      "bidirectional attention (EmbeddingGemma) is not supported; tunebook builds causal decoders";
    throw new ConfigError([{ path: ["use_bidirectional_attention"], message }], { source });
  }
  const base = gemmaConventions(raw, modelType);
  const pattern = positiveField(raw, "sliding_window_pattern", source, false) as number;
  const localTheta = positiveField(raw, "rope_local_base_freq", source, false) as number;
  return {
    ...base,
    qkNorm: true,
    attentionScale: (positiveField(raw, "query_pre_attn_scalar", source, false) as number) ** -0.5,
    attnLogitSoftcap: positiveField(raw, "attn_logit_softcapping", source, true),
    finalLogitSoftcap: positiveField(raw, "final_logit_softcapping", source, true),
    layerNorms: SANDWICH_NORMS,
    slidingWindow: slidingWindowOf(raw, base.numLayers, source, (i) => (i + 1) % pattern !== 0),
    slidingRope: ropeParameters({ rope_theta: localTheta }, base.headDim, source),
  };
}

/**
 * Gemma 3 text (`gemma3_text`: 270M, 1B; and the text tower of `gemma3` image-text checkpoints, 4B and up, read
 * from `text_config` with the weights under `language_model.`, as transformers' `Gemma3ForCausalLM` loads them):
 * Gemma 2's block with per-head q/k RMSNorm (`(1 + w)`), no attention soft-capping by default, and five
 * sliding-window layers to one global layer (`sliding_window_pattern` or `layer_types`); sliding layers rotate
 * with `rope_local_base_freq`, global ones with `rope_theta` and `rope_scaling`.
 * @example
 * ```ts
 * const config = gemma3.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * ```
 */
export const gemma3: Architecture = {
  name: "gemma3",
  modelTypes: ["gemma3_text", "gemma3"],
  normalize: (raw) => {
    if (raw.model_type !== "gemma3")
      return normalizeText(raw, "gemma3_text", "config.json (model_type gemma3_text)");
    const source = "config.json (model_type gemma3) text_config";
    const text = raw.text_config;
    if (typeof text !== "object" || text === null) {
      const message = "a gemma3 checkpoint needs a text_config object (the text tower's configuration)";
      throw new ConfigError([{ path: ["text_config"], message }], {
        source: "config.json (model_type gemma3)",
      });
    }
    return { ...normalizeText(text as Raw, "gemma3", source), tensorAliases: TEXT_TOWER_ALIASES };
  },
};
