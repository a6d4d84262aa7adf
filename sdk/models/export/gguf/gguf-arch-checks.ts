/**
 * What llama.cpp fixes per architecture, against the model: the sliding-window layout (`gemma2`: every other
 * layer; `gemma3`: five in six, both read from `<arch>.attention.sliding_window_pattern` as a period), the
 * attention scale (Gemma 2/3: `1/√head_dim`, or `1/√(hidden/heads)` for the 27B layer counts, whatever
 * `query_pre_attn_scalar` says), soft-capping (Gemma 2 always caps attention scores; Gemma 3 never), and
 * SmolLM3's NoPE layers (every fourth). {@link archRefusal} says why a model differs; {@link archEntries} writes
 * the `<arch>.*` keys those architectures read (window, period, soft-caps, the sliding layers' RoPE base).
 * {@link nameRefusal} catches a quirk of llama.cpp's vocabulary loader keyed on `general.name`.
 */
import type { DecoderConfig } from "../../arch";
import type { GgufMetadataValue } from "./gguf-file";

/** Architectures whose llama.cpp graph has sliding-window layers, with the period it assumes by default. */
const SWA_PERIOD: Readonly<Record<string, number>> = { gemma2: 2, gemma3: 6 };

/** llama.cpp's SmolLM3: layer `i` has no RoPE when `(i + 1) % 4 === 0`. */
const NO_ROPE_STEP = 4;

/** The layer counts llama.cpp takes for the 27B models, which scale attention by `1/√(hidden/heads)`. */
const LAYERS_27B: Readonly<Record<string, number>> = { gemma2: 46, gemma3: 62 };

/**
 * The period `p` of a sliding-window layout as llama.cpp writes it (layer `i` slides when `i % p < p − 1`;
 * `0`: every layer slides), or undefined when no period gives the layout.
 */
export function swaPeriod(layers: readonly boolean[]): number | undefined {
  const full = layers.indexOf(false);
  const p = full < 0 ? 0 : full + 1;
  return layers.every((s, i) => s === (p === 0 || i % p < p - 1)) ? p : undefined;
}

/** The attention scale llama.cpp uses for an architecture. */
function llamaCppAttentionScale(arch: string, config: DecoderConfig): number {
  if (config.numLayers === LAYERS_27B[arch]) return (config.hiddenSize / config.numHeads) ** -0.5;
  return config.headDim ** -0.5;
}

const describe = (layers: readonly boolean[]) => layers.map((s) => (s ? "S" : "F")).join("");

function slidingRefusal(arch: string, config: DecoderConfig): string | undefined {
  const window = config.slidingWindow;
  const period = SWA_PERIOD[arch];
  if (period === undefined) return undefined;
  if (!window?.layers.some(Boolean)) {
    return arch === "gemma2"
      ? "llama.cpp's gemma2 architecture always has sliding-window layers, but this model has none"
      : undefined;
  }
  if (swaPeriod(window.layers) === undefined) {
    return `llama.cpp's ${arch} architecture places sliding-window layers with a period (layer i slides when i % p < p − 1), but this model's layers are ${describe(window.layers)} (S sliding, F full)`;
  }
  return undefined;
}

function softcapRefusal(arch: string, config: DecoderConfig): string | undefined {
  if (arch === "gemma2" && (!config.attnLogitSoftcap || !config.finalLogitSoftcap)) {
    return "llama.cpp's gemma2 architecture always soft-caps attention scores and logits, but this model leaves one uncapped (attn_logit_softcapping or final_logit_softcapping null)";
  }
  if (arch !== "gemma2" && config.attnLogitSoftcap) {
    return `llama.cpp's ${arch} architecture does not soft-cap attention scores, but this model caps them at ${config.attnLogitSoftcap} (attn_logit_softcapping)`;
  }
  if (!arch.startsWith("gemma") && config.finalLogitSoftcap) {
    return `llama.cpp's ${arch} architecture does not soft-cap logits, but this model caps them at ${config.finalLogitSoftcap}`;
  }
  return undefined;
}

function ropeLayersRefusal(arch: string, config: DecoderConfig): string | undefined {
  const layers = config.ropeLayers;
  if (arch === "smollm3") {
    const want = Array.from({ length: config.numLayers }, (_, i) => (i + 1) % NO_ROPE_STEP !== 0);
    const have = layers ?? want.map(() => true);
    if (have.some((r, i) => r !== want[i])) {
      const show = (xs: readonly boolean[]) => xs.map((r) => (r ? 1 : 0)).join(",");
      return `llama.cpp's smollm3 architecture skips RoPE on every fourth layer (no_rope_layers ${show(want)}), but this model's no_rope_layers are ${show(have)}`;
    }
    return undefined;
  }
  return layers?.some((r) => !r)
    ? `llama.cpp's ${arch} architecture applies RoPE on every layer, but this model has NoPE layers`
    : undefined;
}

/**
 * Why llama.cpp's architecture would compute a different model, or undefined when it computes this one.
 * @param arch - the llama.cpp architecture name
 * @param config - the normalised configuration
 * @returns the problem, in words
 * @example
 * ```ts
 * archRefusal("gemma2", config); // e.g. "llama.cpp's gemma2 architecture scales attention scores by 0.177, …"
 * ```
 */
export function archRefusal(arch: string, config: DecoderConfig): string | undefined {
  const ours = config.attentionScale ?? config.headDim ** -0.5;
  const theirs = llamaCppAttentionScale(arch, config);
  if (Math.abs(ours - theirs) > 1e-6 * theirs) {
    return `llama.cpp's ${arch} architecture scales attention scores by ${theirs.toPrecision(6)} (it does not read query_pre_attn_scalar), but this model by ${ours.toPrecision(6)}`;
  }
  return slidingRefusal(arch, config) ?? softcapRefusal(arch, config) ?? ropeLayersRefusal(arch, config);
}

/** The RoPE base of a default (unscaled) RoPE, from its first two inverse frequencies. */
function ropeBase(invFreq: readonly number[], rotaryDim: number): number {
  return Math.round(invFreq[1] ** (-rotaryDim / 2) * 1e3) / 1e3;
}

/**
 * The architecture-specific `<arch>.*` entries: the sliding window and its period, the sliding layers' RoPE
 * base, and the soft-caps, where the architecture reads them (none for the others).
 * @param arch - the llama.cpp architecture name
 * @param config - the normalised configuration (accepted by {@link archRefusal})
 * @returns the entries
 * @example
 * ```ts
 * archEntries("gemma2", config); // [["gemma2.attention.sliding_window", …], …]
 * ```
 */
export function archEntries(arch: string, config: DecoderConfig): [string, GgufMetadataValue][] {
  const entries: [string, GgufMetadataValue][] = [];
  const u32 = (key: string, value: number) => entries.push([`${arch}.${key}`, { type: "u32", value }]);
  const f32 = (key: string, value: number) => entries.push([`${arch}.${key}`, { type: "f32", value }]);
  const window = config.slidingWindow;
  if (SWA_PERIOD[arch] !== undefined && window?.layers.some(Boolean)) {
    u32("attention.sliding_window", window.size);
    u32("attention.sliding_window_pattern", swaPeriod(window.layers) ?? SWA_PERIOD[arch]);
    const rope = config.slidingRope ?? config.rope;
    const base = config.slidingRope ? ropeBase(rope.invFreq, rope.rotaryDim) : config.ropeTheta;
    f32("rope.freq_base_swa", base);
  }
  if (config.attnLogitSoftcap) f32("attn_logit_softcapping", config.attnLogitSoftcap);
  if (config.finalLogitSoftcap) f32("final_logit_softcapping", config.finalLogitSoftcap);
  return entries;
}

/** Tokens llama.cpp's vocabulary loader looks up (and fails without) when `general.name` says Phi-3. */
const PHI3_NAME_TOKENS = ["</s>", "<unk>", "<s>", "<|endoftext|>"];

/**
 * Why llama.cpp would fail to load a file of this `general.name` and vocabulary, or undefined: a name containing
 * `phi3` or `phi-3` makes its loader set attributes on `</s>`, `<unk>`, `<s>` and `<|endoftext|>` (Phi-3's
 * SentencePiece tokens), and loading fails when one is missing.
 * @param name - `general.name`
 * @param tokens - the vocabulary
 * @returns the problem, in words
 * @example
 * ```ts
 * nameRefusal("tiny-phi3", ["a", "b"]); // "llama.cpp treats a model named …"
 * ```
 */
export function nameRefusal(name: string, tokens: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  if (!lower.includes("phi3") && !lower.includes("phi-3")) return undefined;
  const vocab = new Set(tokens);
  const missing = PHI3_NAME_TOKENS.filter((t) => !vocab.has(t));
  if (!missing.length) return undefined;
  return `llama.cpp treats a model named '${name}' (general.name) as Phi-3 and looks up ${missing.join(", ")}, which this vocabulary lacks: it would fail to load the file`;
}
