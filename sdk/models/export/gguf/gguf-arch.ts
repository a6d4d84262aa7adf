/**
 * How each model family is expressed in llama.cpp: its architecture name, and the transforms its converter
 * (`convert_hf_to_gguf.py`) applies to the Hugging Face weights:
 * - `llama` (Llama, Mistral) and `smollm3`: llama.cpp rotates adjacent pairs (GPT-J style) where Hugging Face
 *   rotates the two halves of each head, so the rows of `q_proj` and `k_proj` (weights and biases) are permuted
 *   per head (row `h·D + s·D/2 + j` moves to `h·D + 2j + s`), as the converter's `LlamaModel.permute`;
 * - `qwen2`, `qwen3`, `gemma*`, `phi3`, `olmo2`: NeoX-style RoPE in llama.cpp as in Hugging Face, no permutation;
 * - `gemma*`: RMSNorm weights are stored as `1 + w` (llama.cpp multiplies by the stored weight); `gemma` and
 *   `gemma2` always use the token embedding as the output projection (they read no `output.weight`);
 * - `olmo2` reads `output.weight` always, so a tied model gets the embedding written a second time there.
 * What else llama.cpp fixes per architecture (its sliding-window layout, soft-capping, attention scale, NoPE
 * layers) is checked against the model in `gguf-arch-checks.ts`. Tensor names are in `gguf-tensor-names.ts`.
 * Dimension letters: H heads, D head size.
 */
import type { DecoderConfig } from "../../arch";
import { ExportError } from "../export-error";
import { archRefusal } from "./gguf-arch-checks";

/** A family's llama.cpp form. */
export interface GgufArch {
  /** `general.architecture`: `llama`, `qwen2`, `qwen3`, `gemma`, `gemma2`, `gemma3`, `phi3`, `smollm3`, `olmo2`. */
  readonly name: string;
  /** Permute q/k rows from Hugging Face's rotate-half layout to llama.cpp's adjacent pairs. */
  readonly permuteQk: boolean;
  /** Store RMSNorm weights as `1 + w`. */
  readonly normPlusOne: boolean;
  /** llama.cpp reads no `output.weight`: the head must be the token embedding. */
  readonly tiedOnly: boolean;
  /** llama.cpp requires `output.weight`: a tied head is written there as a copy of the embedding. */
  readonly outputRequired: boolean;
  /** The activation llama.cpp's graph uses for this architecture (Hugging Face's names). */
  readonly activation: readonly string[];
}

const SILU = ["silu"];
const GELU_TANH = ["gelu_pytorch_tanh", "gelu_new", "gelu_fast"];

function arch(name: string, options: Partial<Omit<GgufArch, "name">> = {}): GgufArch {
  return {
    name,
    permuteQk: false,
    normPlusOne: false,
    tiedOnly: false,
    outputRequired: false,
    activation: SILU,
    ...options,
  };
}

const ARCHS: Readonly<Record<string, GgufArch>> = {
  llama: arch("llama", { permuteQk: true }),
  mistral: arch("llama", { permuteQk: true }),
  qwen2: arch("qwen2"),
  qwen3: arch("qwen3"),
  gemma: arch("gemma", { normPlusOne: true, tiedOnly: true, activation: GELU_TANH }),
  gemma2: arch("gemma2", { normPlusOne: true, tiedOnly: true, activation: GELU_TANH }),
  gemma3_text: arch("gemma3", { normPlusOne: true, activation: GELU_TANH }),
  gemma3: arch("gemma3", { normPlusOne: true, activation: GELU_TANH }),
  phi3: arch("phi3"),
  smollm3: arch("smollm3", { permuteQk: true }),
  olmo2: arch("olmo2", { outputRequired: true }),
};

/** The `model_type`s a GGUF export can express. */
export const GGUF_MODEL_TYPES = Object.keys(ARCHS);

/**
 * The llama.cpp form of a model, refusing what llama.cpp would run differently.
 * @param config - the normalised configuration
 * @param untied - whether the export has its own `lm_head.weight`
 * @param target - the export path (for messages)
 * @returns the family's {@link GgufArch}
 * @throws {@link ExportError} for a family llama.cpp has no architecture for here, another activation, partial
 *   rotary embeddings on a Llama-style model, an untied head on Gemma or Gemma 2, or a sliding-window layout,
 *   soft-capping, attention scale or NoPE layout llama.cpp fixes otherwise for the architecture
 * @example
 * ```ts
 * const arch = ggufArch(backbone.config, false, "/tmp/out"); // { name: "llama", permuteQk: true, … }
 * ```
 */
export function ggufArch(config: DecoderConfig, untied: boolean, target: string): GgufArch {
  const refuse = (problem: string, fix = "Export --format merged instead."): never => {
    throw new ExportError({ target, problem, fix });
  };
  const arch = ARCHS[config.modelType];
  if (!arch) {
    return refuse(
      `GGUF export does not support model_type '${config.modelType}' (it supports ${GGUF_MODEL_TYPES.join(", ")})`,
      "Export --format merged and convert it with llama.cpp's convert_hf_to_gguf.py.",
    );
  }
  if (!arch.activation.includes(config.hiddenAct)) {
    refuse(
      `llama.cpp's ${arch.name} architecture uses ${arch.activation[0]}, but this model's activation is ${config.hiddenAct}: llama.cpp would compute a different model`,
    );
  }
  if (arch.permuteQk && config.rope.rotaryDim !== config.headDim) {
    refuse(
      `llama.cpp's ${arch.name} architecture rotates whole heads, but this model rotates ${config.rope.rotaryDim} of ${config.headDim} dimensions`,
    );
  }
  if (arch.tiedOnly && (untied || !config.tieWordEmbeddings)) {
    refuse(
      `llama.cpp's ${arch.name} architecture always uses the token embedding as the output layer, but this export has a separate lm_head (a LoRA on lm_head, or tie_word_embeddings false)`,
      "Train without lm_head in the LoRA target modules, or export --format merged.",
    );
  }
  const problem = archRefusal(arch.name, config);
  if (problem) refuse(problem);
  return arch;
}

/**
 * Permutes the rows of a q/k projection (weight `[H·D, I]` or bias `[H·D]`) from Hugging Face's rotate-half
 * order to llama.cpp's adjacent pairs, per head.
 * @param values - row-major values
 * @param heads - H (query heads for q, key/value heads for k)
 * @param cols - I (1 for a bias)
 * @returns the permuted values (a new array)
 * @example
 * ```ts
 * permuteRotaryRows(new Float32Array([0, 1, 2, 3]), 1, 1); // [0, 2, 1, 3]
 * ```
 */
export function permuteRotaryRows(values: Float32Array, heads: number, cols: number): Float32Array {
  const rows = values.length / cols;
  const D = rows / heads;
  const half = D / 2;
  const out = new Float32Array(values.length);
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < 2; s++) {
      for (let j = 0; j < half; j++) {
        const from = (h * D + s * half + j) * cols;
        const to = (h * D + 2 * j + s) * cols;
        out.set(values.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}
