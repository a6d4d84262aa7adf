/**
 * The weights of an exported model: every tensor of the base model as float32, with trained values (full
 * fine-tuning overrides) and merged LoRA adapters, W' = W + scale · B · A (B `[out, r]`, A `[r, in]`), each
 * with the dtype its checkpoint stores it in; a DoRA adapter's rows are then rescaled to its magnitude,
 * W' = m ⊙ (W + scale · B · A) / ‖W + scale · B · A‖ (PEFT's merge). W is what the backbone computes with: the
 * dequantized `Ŵ` of a quantized (int8/int4) base's linear weights, so the merge is the model that was trained
 * (as QLoRA merges).
 * A LoRA on the LM head of a tied model unties it: `lm_head.weight` = embeddings + scale · B · A.
 * Dimension letters: O outputs, I inputs, R rank.
 */
import type { Backbone } from "../backbone";
import { adapterTensors, applyDoraMagnitude, peftNames } from "../lora";
import type { SafetensorsDtype } from "../safetensors";
import { ExportError } from "./export-error";

/** One tensor to export; its values are computed on demand (one shard at a time stays in memory). */
export interface MergedTensor {
  /** Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  readonly name: string;
  /** Shape. */
  readonly shape: readonly number[];
  /** Whether a LoRA adapter was merged into it. */
  readonly merged: boolean;
  /** The dtype the base checkpoint stores it in (`F32`, `F16`, `BF16`; an untied head: the embedding's). */
  readonly dtype: SafetensorsDtype;
  /** Computes the float32 values. */
  values(): Float32Array;
}

/** The export plan of a backbone's weights. */
export interface MergePlan {
  /** Every tensor, sorted by name. */
  readonly tensors: readonly MergedTensor[];
  /** True when a LoRA on a tied LM head made the export untied (`tie_word_embeddings: false`). */
  readonly untied: boolean;
  /** Modules whose adapters were merged. */
  readonly modules: readonly string[];
}

/**
 * Adds `scale · B · A` to `w` in place (each element accumulated in float64, rounded once).
 * @param w - `[O, I]` weight
 * @param a - `[R, I]`
 * @param b - `[O, R]`
 * @param r - the rank R
 * @param scale - LoRA scale
 * @returns `w`
 * @throws {@link ExportError} when the sizes disagree
 * @example
 * ```ts
 * addLoraDelta(new Float32Array(4), new Float32Array([1, 2]), new Float32Array([3, 4]), 1, 0.5); // [1.5, 3, 2, 4]
 * ```
 */
export function addLoraDelta(
  w: Float32Array,
  a: Float32Array,
  b: Float32Array,
  r: number,
  scale: number,
): Float32Array {
  const I = a.length / r;
  const O = b.length / r;
  if (!Number.isInteger(I) || !Number.isInteger(O) || O * I !== w.length) {
    throw new ExportError({
      target: "(merge)",
      problem: `LoRA A has ${a.length} and B ${b.length} values for rank ${r}, but the weight has ${w.length}`,
      fix: "Merge an adapter trained on this base model.",
    });
  }
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += b[o * r + k] * a[k * I + i];
      w[o * I + i] = w[o * I + i] + scale * sum;
    }
  }
  return w;
}

/**
 * Plans the exported weights of a backbone: its base tensors (trained overrides included) with every LoRA
 * adapter it holds merged in.
 * @param backbone - the trained backbone (with or without LoRA)
 * @param target - the export folder (for error messages)
 * @param quantizedBase - for a quantized (int8/int4) base: merge into the `dequantized` weights it computed with
 *   (default) or into the `original` float weights of the checkpoint
 * @returns the tensors (values computed on demand), whether the head was untied, the merged modules
 * @throws {@link ExportError} when an adapter belongs to a module the base model has no weight for
 * @example
 * ```ts
 * const plan = planMergedWeights(backbone, "/tmp/out");
 * const q = plan.tensors.find((t) => t.name.endsWith("q_proj.weight"))?.values();
 * ```
 */
export function planMergedWeights(
  backbone: Backbone,
  target: string,
  quantizedBase: "dequantized" | "original" = "dequantized",
): MergePlan {
  const index = backbone.modelDir.weights;
  const lora = backbone.lora;
  const pairs = lora ? adapterTensors(lora) : { tensors: {}, modules: [] as string[] };
  const byWeight = new Map<string, string>(); // weight name → module
  let untied = false;
  for (const module of pairs.modules) {
    // The checkpoint's own name (Gemma 3's text tower is stored under language_model.): exports keep the layout.
    let weight = backbone.weights.storedName(`${module}.weight`);
    if (!index.has(weight) && module === "lm_head" && backbone.config.tieWordEmbeddings) {
      if (backbone.config.tensorAliases?.length) {
        throw new ExportError({
          target,
          problem: `a LoRA on the tied LM head of a ${backbone.config.modelType} checkpoint would untie it, and its layout has no place for a separate head`,
          fix: "Train without lm_head in lora.targetModules, or save the adapter with saveLoraAdapter instead.",
        });
      }
      untied = true;
      weight = "lm_head.weight";
    } else if (!index.has(weight)) {
      throw new ExportError({
        target,
        problem: `the LoRA adapter of ${module} has no base weight ${weight}`,
        fix: "Export with the base model the adapter was trained on.",
      });
    }
    byWeight.set(weight, module);
  }
  const names = index.names();
  if (untied) names.push("lm_head.weight");
  const tensors = names.sort().map((name): MergedTensor => {
    const source = untied && name === "lm_head.weight" ? "model.embed_tokens.weight" : name;
    const ref = index.ref(source);
    const shape = [...ref.shape];
    const module = byWeight.get(name);
    return {
      name,
      shape,
      merged: module !== undefined,
      dtype: ref.dtype,
      values: () => {
        const w =
          quantizedBase === "original"
            ? backbone.weights.values(source, shape)
            : backbone.weights.computedValues(source, shape);
        if (!module || !lora) return w;
        const names = peftNames(module);
        const t = pairs.tensors as Record<string, { data: Float32Array }>;
        addLoraDelta(w, t[names.a].data, t[names.b].data, lora.options.r, lora.scale);
        return lora.options.useDora ? applyDoraMagnitude(w, t[names.m].data) : w;
      },
    };
  });
  return { tensors, untied, modules: pairs.modules };
}
