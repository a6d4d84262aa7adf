/**
 * How each model family is expressed in llama.cpp: its architecture name, the tensor names llama.cpp gives the
 * Hugging Face weights, and the transforms its converter (`convert_hf_to_gguf.py`) applies:
 * - `llama` (Llama, Mistral): llama.cpp rotates adjacent pairs (GPT-J style) where Hugging Face rotates the two
 *   halves of each head, so the rows of `q_proj` and `k_proj` (weights and biases) are permuted per head
 *   (row `h·D + s·D/2 + j` moves to `h·D + 2j + s`), as the converter's `LlamaModel.permute`;
 * - `qwen2`, `qwen3`, `gemma`: NeoX-style RoPE in llama.cpp as in Hugging Face, no permutation;
 * - `gemma`: RMSNorm weights are stored as `1 + w` (llama.cpp multiplies by the stored weight), and the output
 *   projection is always the token embedding (llama.cpp's gemma reads no `output.weight`).
 * Dimension letters: H heads, D head size.
 */
import type { DecoderConfig } from "../../arch";
import { ExportError } from "../export-error";

/** A family's llama.cpp form. */
export interface GgufArch {
  /** `general.architecture`: `llama`, `qwen2`, `qwen3` or `gemma`. */
  readonly name: string;
  /** Permute q/k rows from Hugging Face's rotate-half layout to llama.cpp's adjacent pairs. */
  readonly permuteQk: boolean;
  /** Store RMSNorm weights as `1 + w`. */
  readonly normPlusOne: boolean;
  /** llama.cpp reads no `output.weight`: the head must be the token embedding. */
  readonly tiedOnly: boolean;
  /** The activation llama.cpp's graph uses for this architecture (Hugging Face's name). */
  readonly activation: readonly string[];
}

const ARCHS: Readonly<Record<string, GgufArch>> = {
  llama: { name: "llama", permuteQk: true, normPlusOne: false, tiedOnly: false, activation: ["silu"] },
  mistral: { name: "llama", permuteQk: true, normPlusOne: false, tiedOnly: false, activation: ["silu"] },
  qwen2: { name: "qwen2", permuteQk: false, normPlusOne: false, tiedOnly: false, activation: ["silu"] },
  qwen3: { name: "qwen3", permuteQk: false, normPlusOne: false, tiedOnly: false, activation: ["silu"] },
  gemma: {
    name: "gemma",
    permuteQk: false,
    normPlusOne: true,
    tiedOnly: true,
    activation: ["gelu_pytorch_tanh", "gelu_new", "gelu_fast"],
  },
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
 *   rotary embeddings on a Llama-style model, or an untied head on Gemma
 * @example
 * ```ts
 * const arch = ggufArch(backbone.config, false, "/tmp/out"); // { name: "llama", permuteQk: true, … }
 * ```
 */
export function ggufArch(config: DecoderConfig, untied: boolean, target: string): GgufArch {
  const refuse = (problem: string, fix: string): never => {
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
      `llama.cpp's ${arch.name} architecture uses ${arch.activation[0]}, but this model's activation is ${config.hiddenAct}`,
      "Export --format merged instead: llama.cpp would compute a different model.",
    );
  }
  if (arch.permuteQk && config.rope.rotaryDim !== config.headDim) {
    refuse(
      `llama.cpp's llama architecture rotates whole heads, but this model rotates ${config.rope.rotaryDim} of ${config.headDim} dimensions`,
      "Export --format merged instead.",
    );
  }
  if (arch.tiedOnly && (untied || !config.tieWordEmbeddings)) {
    refuse(
      "llama.cpp's gemma architecture always uses the token embedding as the output layer, but this export has a separate lm_head (a LoRA on lm_head, or tie_word_embeddings false)",
      "Train without lm_head in the LoRA target modules, or export --format merged.",
    );
  }
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

const LAYER_NAMES: Readonly<Record<string, string>> = {
  "input_layernorm.weight": "attn_norm.weight",
  "post_attention_layernorm.weight": "ffn_norm.weight",
  "self_attn.q_proj.weight": "attn_q.weight",
  "self_attn.q_proj.bias": "attn_q.bias",
  "self_attn.k_proj.weight": "attn_k.weight",
  "self_attn.k_proj.bias": "attn_k.bias",
  "self_attn.v_proj.weight": "attn_v.weight",
  "self_attn.v_proj.bias": "attn_v.bias",
  "self_attn.o_proj.weight": "attn_output.weight",
  "self_attn.o_proj.bias": "attn_output.bias",
  "self_attn.q_norm.weight": "attn_q_norm.weight",
  "self_attn.k_norm.weight": "attn_k_norm.weight",
  "mlp.gate_proj.weight": "ffn_gate.weight",
  "mlp.gate_proj.bias": "ffn_gate.bias",
  "mlp.up_proj.weight": "ffn_up.weight",
  "mlp.up_proj.bias": "ffn_up.bias",
  "mlp.down_proj.weight": "ffn_down.weight",
  "mlp.down_proj.bias": "ffn_down.bias",
};

const TOP_NAMES: Readonly<Record<string, string>> = {
  "model.embed_tokens.weight": "token_embd.weight",
  "model.norm.weight": "output_norm.weight",
  "lm_head.weight": "output.weight",
};

/**
 * llama.cpp's name of a Hugging Face weight (`model.layers.3.mlp.up_proj.weight` → `blk.3.ffn_up.weight`).
 * @param name - the Hugging Face name
 * @returns the GGUF name, `null` for a tensor llama.cpp does not store (`rotary_emb.inv_freq`), or undefined
 *   for one it has no name for
 * @example
 * ```ts
 * ggufTensorName("model.layers.0.self_attn.q_proj.weight"); // "blk.0.attn_q.weight"
 * ```
 */
export function ggufTensorName(name: string): string | null | undefined {
  if (name.endsWith("rotary_emb.inv_freq")) return null;
  if (name in TOP_NAMES) return TOP_NAMES[name];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  const suffix = m ? LAYER_NAMES[m[2]] : undefined;
  return m && suffix ? `blk.${m[1]}.${suffix}` : undefined;
}
