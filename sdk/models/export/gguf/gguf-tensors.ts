/**
 * The tensors of a GGUF export: each merged Hugging Face weight renamed as llama.cpp names it, transformed as
 * llama.cpp's converter does (q/k row permutation for Llama-style RoPE, `1 + w` norms for Gemma), and stored in
 * the requested type; a tied head is written as `output.weight` too where llama.cpp requires one (OLMo 2). One-dimensional tensors (norms, biases) stay float32 as the converter keeps them; a
 * matrix whose rows are not whole 32-value blocks is stored as f16 when a quantized type was asked for.
 */
import type { DecoderConfig } from "../../arch";
import { ExportError } from "../export-error";
import type { MergePlan } from "../merge-weights";
import { encodeTensor, fitsType, type GgmlTypeName } from "./ggml-types";
import { type GgufArch, permuteRotaryRows } from "./gguf-arch";
import type { GgufTensor } from "./gguf-file";
import { ggufTensorName } from "./gguf-tensor-names";

/** The planned tensors and the matrices stored in another type than requested. */
export interface GgufTensorPlan {
  readonly tensors: readonly GgufTensor[];
  /** GGUF names of matrices stored as f16 because their rows do not fit the quantized type's blocks. */
  readonly fallbacks: readonly string[];
}

function layerOf(name: string): number {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : name.startsWith("token_embd") || name.startsWith("rope") ? -1 : 1e9;
}

/**
 * Plans the GGUF tensors of merged weights.
 * @param options - `plan` (merged weights), `arch`, `config`, `type`, `ropeFreqs`, `target`
 * @returns the tensors in file order (embedding, layers, output) and the f16 fallbacks
 * @throws {@link ExportError} for a weight llama.cpp has no name for
 * @example
 * ```ts
 * const { tensors } = planGgufTensors({ plan, arch, config: backbone.config, type: "q8_0", target: "/tmp/out" });
 * ```
 */
export function planGgufTensors(options: {
  plan: MergePlan;
  arch: GgufArch;
  config: DecoderConfig;
  type: GgmlTypeName;
  ropeFreqs?: Float32Array;
  target: string;
}): GgufTensorPlan {
  const { arch, config, type } = options;
  const tensors: GgufTensor[] = [];
  const fallbacks: string[] = [];
  const named = options.plan.tensors.map((t) => ({ t, name: ggufTensorName(t.name, config) }));
  const embedding = named.find((n) => n.name === "token_embd.weight");
  if (arch.outputRequired && embedding && !named.some((n) => n.name === "output.weight")) {
    named.push({ t: embedding.t, name: "output.weight" });
  }
  for (const { t, name } of named) {
    if (name === null || (arch.tiedOnly && name === "output.weight")) continue;
    if (name === undefined) {
      throw new ExportError({
        target: options.target,
        problem: `the weight ${t.name} has no llama.cpp tensor name in the ${arch.name} architecture`,
        fix: "Export --format merged instead.",
      });
    }
    let storage: GgmlTypeName = t.shape.length < 2 ? "f32" : type;
    if (!fitsType(storage, t.shape)) {
      storage = "f16";
      fallbacks.push(name);
    }
    const heads = t.name.includes("q_proj") ? config.numHeads : config.numKvHeads;
    const permute = arch.permuteQk && /\.(q|k)_proj\./.test(t.name);
    const plusOne = arch.normPlusOne && t.name.endsWith("norm.weight");
    tensors.push({
      name,
      shape: t.shape,
      type: storage,
      data: () => {
        let values = t.values();
        if (permute) values = permuteRotaryRows(values, heads, t.shape.length > 1 ? t.shape[1] : 1);
        if (plusOne) values = values.map((v) => v + 1);
        return encodeTensor(storage, values);
      },
    });
  }
  const freqs = options.ropeFreqs;
  if (freqs) {
    tensors.push({
      name: "rope_freqs.weight",
      shape: [freqs.length],
      type: "f32",
      data: () => encodeTensor("f32", freqs),
    });
  }
  tensors.sort((a, b) => layerOf(a.name) - layerOf(b.name) || (a.name < b.name ? -1 : 1));
  return { tensors, fallbacks };
}
