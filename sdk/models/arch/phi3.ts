import { ConfigError } from "../../errors";
import type { Architecture } from "./architecture";
import { parseHfDecoderConfig } from "./decoder-config";
import { slidingWindowOf } from "./sliding-window";

/** Phi3Config's pretrained length when `config.json` omits it (read by `longrope`). */
const PHI3_ORIGINAL_MAX_POSITIONS = 4096;

/**
 * `rope_scaling` as Phi3Config reads it: the older `"su"` and `"yarn"` type names mean `longrope`.
 * @param raw - `config.json` as stored
 * @returns the fields with the type renamed and `original_max_position_embeddings` defaulted (4096)
 * @throws ConfigError for a rope type Phi3Config refuses (anything but default and longrope)
 */
function phi3RopeFields(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    ...raw,
    original_max_position_embeddings: raw.original_max_position_embeddings ?? PHI3_ORIGINAL_MAX_POSITIONS,
  };
  const scaling = raw.rope_scaling as Record<string, unknown> | null | undefined;
  if (scaling && typeof scaling === "object") {
    const key = scaling.rope_type !== undefined ? "rope_type" : "type";
    const type = scaling[key] ?? "default";
    if (type === "su" || type === "yarn") fields.rope_scaling = { ...scaling, [key]: "longrope" };
    else if (type !== "default" && type !== "longrope") {
      // Phi3Config.validate_rope accepts only these: transformers does not load a Phi-3 with another variant.
      const message = `Phi-3 supports rope_type "default" or "longrope" (or the old names "su", "yarn"); got ${JSON.stringify(type)}`;
      throw new ConfigError([{ path: ["rope_scaling", key], message }], {
        source: "config.json (model_type phi3)",
      });
    }
  }
  return fields;
}

/**
 * Phi-3 (Phi-3-mini, Phi-3-medium, Phi-3.5-mini, Phi-4-mini): q, k and v in one fused `qkv_proj`, gate and up in
 * one fused `gate_up_proj` (gate first), no biases, `partial_rotary_factor` (Phi-4-mini: 0.75), `longrope` with
 * the top-level `original_max_position_embeddings` (default 4096; the older `"su"` type name accepted), tied
 * or untied head. LoRA adapts the fused modules as PEFT does: one `qkv_proj` pair with B `[(H + 2K)·D, r]`.
 * `sliding_window` (when not null) limits every layer's attention to the window's most recent positions, as
 * transformers does (Phi-3-mini-4k: 2047).
 * @example
 * ```ts
 * const config = phi3.normalize(JSON.parse(fs.readFileSync("config.json", "utf8")));
 * config.fusedQkv; // true
 * ```
 */
export const phi3: Architecture = {
  name: "phi3",
  modelTypes: ["phi3"],
  normalize: (raw) => {
    const { base } = parseHfDecoderConfig(phi3RopeFields(raw), "phi3");
    const slidingWindow = slidingWindowOf(raw, base.numLayers, "config.json (model_type phi3)", () => true);
    return {
      ...base,
      biases: { qkv: false, o: false, mlp: false },
      fusedQkv: true,
      fusedGateUp: true,
      slidingWindow,
    };
  },
};
