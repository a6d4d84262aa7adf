/**
 * LoRA injection settings, with the same field names as the train layer's `LoRAConfig`, so a `LoRAConfig` can be
 * passed where these options are expected.
 */
import { z } from "zod";

/**
 * Every linear module name of the decoder blocks, in block order (Phi-3 fuses q/k/v into `qkv_proj` and gate/up
 * into `gate_up_proj`: its modules are `qkv_proj`, `o_proj`, `gate_up_proj`, `down_proj`).
 */
export const LINEAR_MODULES = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;

/** Schema of {@link LoraOptions}. */
export const LoraOptionsSchema = z
  .object({
    /** Rank of A `[r, in]` and B `[out, r]`. */
    r: z.number().int().positive().default(8),
    /** Scaling numerator: scale = alpha/r (alpha/√r with rsLoRA). */
    alpha: z.number().positive().default(16),
    /** Dropout on the adapter's input while training (only in graphs built with a dropout seed). */
    dropout: z.number().min(0).lt(1).default(0),
    /** Module names (last part of the module path, e.g. `q_proj`, `lm_head`), or `"all-linear"` (not lm_head). */
    targetModules: z
      .union([z.literal("all-linear"), z.array(z.string().min(1)).nonempty()])
      .default(["q_proj", "v_proj"]),
    /** Rank-stabilised LoRA. */
    useRslora: z.boolean().default(false),
    /**
     * DoRA (weight-decomposed LoRA, PEFT's `use_dora`): `W' = m ⊙ (W + scale·B·A) / ‖W + scale·B·A‖` per output
     * row, with a trainable magnitude `m` `[out]` that starts at `‖W‖`. Needs float base weights.
     */
    useDora: z.boolean().default(false),
    /** Seed of A's kaiming-uniform initialisation. */
    seed: z.number().int().nonnegative().default(0),
  })
  .passthrough();

/** LoRA injection settings (input form; every field has a default). */
export type LoraOptions = z.input<typeof LoraOptionsSchema>;

/** Parsed LoRA settings. */
export type ResolvedLoraOptions = z.output<typeof LoraOptionsSchema>;

/**
 * The multiplier of the adapter's output.
 * @param o - `r`, `alpha`, `useRslora`
 * @returns alpha/r, or alpha/√r with rsLoRA
 * @example
 * ```ts
 * loraScale({ r: 16, alpha: 32, useRslora: true }); // 8
 * ```
 */
export function loraScale(o: { r: number; alpha: number; useRslora: boolean }): number {
  return o.useRslora ? o.alpha / Math.sqrt(o.r) : o.alpha / o.r;
}

/**
 * Whether a module is adapted, PEFT's rule: its path equals a target or ends with `.<target>`;
 * `"all-linear"` means every linear layer except the LM head.
 * @param module - module path, e.g. `model.layers.0.self_attn.q_proj`
 * @param targets - target names or `"all-linear"`
 * @returns true when the module gets an adapter
 * @example
 * ```ts
 * isLoraTarget("model.layers.3.mlp.up_proj", "all-linear"); // true
 * ```
 */
export function isLoraTarget(module: string, targets: readonly string[] | "all-linear"): boolean {
  if (targets === "all-linear") return module !== "lm_head";
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

/**
 * PEFT's tensor names of a module's adapter (as PEFT ≥ 0.10 saves them: the DoRA magnitude without a `.weight`).
 * @param module - module path
 * @returns the `lora_A`, `lora_B` and DoRA `lora_magnitude_vector` names
 * @example
 * ```ts
 * peftNames("model.layers.0.self_attn.q_proj").a; // "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
 * peftNames("model.layers.0.self_attn.q_proj").m; // "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"
 * ```
 */
export function peftNames(module: string): { a: string; b: string; m: string } {
  return {
    a: `base_model.model.${module}.lora_A.weight`,
    b: `base_model.model.${module}.lora_B.weight`,
    m: `base_model.model.${module}.lora_magnitude_vector`,
  };
}
