import { ConfigError } from "../../errors";
import type { Architecture } from "./architecture";
import { gemmaConventions, SANDWICH_NORMS } from "./gemma";
import { slidingWindowOf } from "./sliding-window";

/** Gemma2Config's defaults for the fields that shape attention (real configs carry them; `null` turns a cap off). */
const DEFAULTS = {
  head_dim: 256,
  query_pre_attn_scalar: 256,
  attn_logit_softcapping: 50,
  final_logit_softcapping: 30,
  sliding_window: 4096,
};

/**
 * A positive number field of a Gemma config, or undefined where it is `null`/absent and `nullable`.
 * @param raw - the config, defaults filled in
 * @param key - the field
 * @param source - for messages
 * @param nullable - whether `null` (feature off) is allowed
 * @returns the value
 * @throws ConfigError when the value is not a positive number (or null where allowed)
 * @example
 * ```ts
 * positiveField({ final_logit_softcapping: 30 }, "final_logit_softcapping", "config.json", true); // 30
 * ```
 */
export function positiveField(
  raw: Readonly<Record<string, unknown>>,
  key: string,
  source: string,
  nullable: boolean,
): number | undefined {
  const v = raw[key];
  if (nullable && (v === null || v === undefined)) return undefined;
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  const message = `expected a positive number${nullable ? " or null" : ""}, got ${JSON.stringify(v)}`;
  throw new ConfigError([{ path: [key], message }], { source });
}

/**
 * Gemma 2 (2B, 9B, 27B): Gemma's conventions plus attention and final logit soft-capping (`c·tanh(x/c)`),
 * scores scaled by `query_pre_attn_scalar^-½`, norms after the attention and MLP outputs and before the MLP
 * (`pre_feedforward_layernorm`), and sliding-window attention on the even layers (0, 2, …) unless `layer_types`
 * says otherwise.
 * @example
 * ```ts
 * const config = gemma2.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * ```
 */
export const gemma2: Architecture = {
  name: "gemma2",
  modelTypes: ["gemma2"],
  normalize: (stored) => {
    const raw = { ...DEFAULTS, ...stored };
    const base = gemmaConventions(raw, "gemma2");
    const source = "config.json (model_type gemma2)";
    return {
      ...base,
      attentionScale: (positiveField(raw, "query_pre_attn_scalar", source, false) as number) ** -0.5,
      attnLogitSoftcap: positiveField(raw, "attn_logit_softcapping", source, true),
      finalLogitSoftcap: positiveField(raw, "final_logit_softcapping", source, true),
      layerNorms: SANDWICH_NORMS,
      slidingWindow: slidingWindowOf(raw, base.numLayers, source, (i) => i % 2 === 0),
    };
  },
};
