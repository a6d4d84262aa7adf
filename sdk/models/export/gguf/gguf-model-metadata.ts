/**
 * The model part of a GGUF file's metadata: `general.*` and the `<arch>.*` hyperparameters llama.cpp reads
 * (context length, widths, heads, norm epsilon, RoPE base, rotated dimensions, head sizes, RoPE scaling, and
 * the architecture's own: sliding window, soft-caps), and the `rope_freqs.weight` tensor that carries Llama 3's
 * per-frequency RoPE scaling. A multimodal checkpoint's hyperparameters are read from its text tower's config.
 */
import type { DecoderConfig } from "../../arch";
import { decoderConfigJson } from "../decoder-config-json";
import { ExportError } from "../export-error";
import type { GgmlTypeName } from "./ggml-types";
import { archEntries } from "./gguf-arch-checks";
import type { GgufMetadataValue } from "./gguf-file";

/** `general.file_type` (llama.cpp's `llama_ftype`) of each export type. */
const FILE_TYPE: Readonly<Record<GgmlTypeName, number>> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };

/** The model metadata and, for Llama 3 RoPE scaling, the `rope_freqs.weight` factors. */
export interface ModelMetadata {
  readonly entries: [string, GgufMetadataValue][];
  /** `rope_freqs.weight` (one factor per rotated pair) when the RoPE variant needs it. */
  readonly ropeFreqs: Float32Array | undefined;
}

const u32 = (value: number): GgufMetadataValue => ({ type: "u32", value });
const f32 = (value: number): GgufMetadataValue => ({ type: "f32", value });
const str = (value: string): GgufMetadataValue => ({ type: "string", value });

function ropeScaling(
  arch: string,
  config: DecoderConfig,
  raw: Readonly<Record<string, unknown>>,
  target: string,
): { entries: [string, GgufMetadataValue][]; ropeFreqs: Float32Array | undefined } {
  const scaling = (raw.rope_scaling ?? undefined) as Record<string, unknown> | undefined;
  const type = String(scaling?.rope_type ?? scaling?.type ?? "default");
  if (type === "default") return { entries: [], ropeFreqs: undefined };
  if (type === "linear") {
    const factor = Number(scaling?.factor);
    const entries: [string, GgufMetadataValue][] = [
      [`${arch}.rope.scaling.type`, str("linear")],
      [`${arch}.rope.scaling.factor`, f32(factor)],
    ];
    return { entries, ropeFreqs: undefined };
  }
  if (type === "llama3" && arch === "llama") {
    // llama.cpp divides each base frequency by its factor: factor = base / scaled inverse frequency.
    const d = config.rope.rotaryDim;
    const factors = config.rope.invFreq.map((f, i) => config.ropeTheta ** (-(2 * i) / d) / f);
    return { entries: [], ropeFreqs: Float32Array.from(factors) };
  }
  throw new ExportError({
    target,
    problem: `the GGUF export writes RoPE scaling default, linear and llama3 (llama only); this ${config.modelType} model uses rope_type '${type}'`,
    fix: "Export --format merged and convert it with llama.cpp's convert_hf_to_gguf.py.",
  });
}

/**
 * The `general.*` and `<arch>.*` metadata of a model.
 * @param options - `arch` (llama.cpp architecture name), `config`, `raw` (config.json), `name`, `type`, `target`
 * @returns the entries in file order, and `rope_freqs.weight` when needed
 * @throws {@link ExportError} for a RoPE variant the export cannot express, or attention scaling other than 1
 * @example
 * ```ts
 * const { entries } = modelMetadata({ arch: "llama", config, raw, name: "tiny", type: "f16", target: "/tmp/out" });
 * ```
 */
export function modelMetadata(options: {
  arch: string;
  config: DecoderConfig;
  raw: Readonly<Record<string, unknown>>;
  name: string;
  type: GgmlTypeName;
  target: string;
}): ModelMetadata {
  const { arch, config } = options;
  const raw = decoderConfigJson({ ...options.raw });
  if (config.rope.attentionScaling !== 1) {
    throw new ExportError({
      target: options.target,
      problem: `this model scales attention by ${config.rope.attentionScaling} (YaRN/LongRoPE), which the GGUF export does not write`,
      fix: "Export --format merged and convert it with llama.cpp's convert_hf_to_gguf.py.",
    });
  }
  const context = typeof raw.max_position_embeddings === "number" ? raw.max_position_embeddings : 2048;
  const rope = ropeScaling(arch, config, raw, options.target);
  const entries: [string, GgufMetadataValue][] = [
    ["general.architecture", str(arch)],
    ["general.type", str("model")],
    ["general.name", str(options.name)],
    ["general.file_type", u32(FILE_TYPE[options.type])],
    ["general.quantization_version", u32(2)],
    [`${arch}.vocab_size`, u32(config.vocabSize)],
    [`${arch}.context_length`, u32(context)],
    [`${arch}.embedding_length`, u32(config.hiddenSize)],
    [`${arch}.block_count`, u32(config.numLayers)],
    [`${arch}.feed_forward_length`, u32(config.intermediateSize)],
    [`${arch}.attention.head_count`, u32(config.numHeads)],
    [`${arch}.attention.head_count_kv`, u32(config.numKvHeads)],
    [`${arch}.attention.key_length`, u32(config.headDim)],
    [`${arch}.attention.value_length`, u32(config.headDim)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(config.rmsNormEps)],
    [`${arch}.rope.freq_base`, f32(config.ropeTheta)],
    [`${arch}.rope.dimension_count`, u32(config.rope.rotaryDim)],
    ...rope.entries,
    ...archEntries(arch, config),
  ];
  return { entries, ropeFreqs: rope.ropeFreqs };
}
