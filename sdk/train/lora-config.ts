/**
 * LoRA adapter settings, validated, with the scale the forward pass uses and conversion to and from PEFT's
 * `adapter_config.json` so adapters trained here load in Python's PEFT unchanged (and the reverse).
 */
import type { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors";
import { type PeftLoraJson, peftLoraJson } from "../models";
import { loraSchema } from "./config";
import { checkSettings } from "./config/config-issues";

const optionsSchema = loraSchema.omit({ enabled: true });

/** Options of {@link LoRAConfig}; every field has a default (r 8, alpha 16, dropout 0.05, q_proj + v_proj). */
export type LoRAConfigOptions = z.input<typeof optionsSchema>;

export type { PeftLoraJson };

/** PEFT settings this project cannot honour, with the value that means "not used". */
const unsupported: [key: string, neutral: (v: unknown) => boolean, why: string][] = [
  ["peft_type", (v) => v === "LORA", 'only "LORA" adapters are supported'],
  ["bias", (v) => v === undefined || v === "none", 'trained biases are not supported; expected "none"'],
  ["fan_in_fan_out", (v) => v === undefined || v === false, "expected false (weights stored [out, in])"],
  [
    "rank_pattern",
    (v) => v == null || Object.keys(v as object).length === 0,
    "per-module ranks are not supported",
  ],
  [
    "alpha_pattern",
    (v) => v == null || Object.keys(v as object).length === 0,
    "per-module alphas are not supported",
  ],
  ["layers_to_transform", (v) => v == null, "layer selection is not supported; expected null"],
  ["modules_to_save", (v) => v == null, "fully trained extra modules are not supported; expected null"],
];

/** Validated LoRA settings: rank, alpha, dropout, target modules, rsLoRA, DoRA. */
export class LoRAConfig {
  /** Rank of the adapter matrices A `[r, in]` and B `[out, r]`. */
  readonly r: number;
  /** Scaling numerator. */
  readonly alpha: number;
  /** Dropout on the adapter's input during training. */
  readonly dropout: number;
  /** Module names to adapt (matched against the last part of a module's name), or `"all-linear"`. */
  readonly targetModules: readonly string[] | "all-linear";
  /** Rank-stabilised LoRA: scale alpha/√r instead of alpha/r. */
  readonly useRslora: boolean;
  /** DoRA: a trainable magnitude per output row times the direction of `W + scale·B·A` (PEFT's `use_dora`). */
  readonly useDora: boolean;

  /**
   * @param options - `r`, `alpha`, `dropout`, `targetModules`, `useRslora`, `useDora` (all optional)
   * @throws ConfigError naming each invalid option, its value and the allowed range
   * @example
   * ```ts
   * const lora = new LoRAConfig({ r: 8, alpha: 16, dropout: 0.05, targetModules: ["q_proj", "v_proj"] });
   * lora.scale; // 2
   * ```
   */
  constructor(options: LoRAConfigOptions = {}) {
    const parsed = checkSettings(optionsSchema, options, "camel");
    if (!parsed.success) throw new ConfigError(parsed.issues, { source: "LoRAConfig", cause: parsed.cause });
    this.r = parsed.data.r;
    this.alpha = parsed.data.alpha;
    this.dropout = parsed.data.dropout;
    const t = parsed.data.targetModules;
    this.targetModules = t === "all-linear" ? t : Object.freeze([...t]);
    this.useRslora = parsed.data.useRslora;
    this.useDora = parsed.data.useDora;
  }

  /** Multiplier of the adapter's output `B·A·x`: alpha / r, or alpha / √r with rsLoRA. */
  get scale(): number {
    return this.useRslora ? this.alpha / Math.sqrt(this.r) : this.alpha / this.r;
  }

  /**
   * The PEFT `adapter_config.json` object for this adapter.
   * @param baseModelName - the base model's hub id or path (`base_model_name_or_path`), or null
   * @returns a plain object; write it with `JSON.stringify(json, null, 2)`
   * @example
   * ```ts
   * fs.writeFileSync("adapter_config.json", JSON.stringify(lora.toPeftJson("Qwen/Qwen3-0.6B"), null, 2));
   * ```
   */
  toPeftJson(baseModelName: string | null): PeftLoraJson {
    return peftLoraJson({
      r: this.r,
      alpha: this.alpha,
      dropout: this.dropout,
      useRslora: this.useRslora,
      useDora: this.useDora,
      targetModules: this.targetModules === "all-linear" ? "all-linear" : [...this.targetModules],
      baseModel: baseModelName,
    });
  }

  /**
   * Reads a PEFT `adapter_config.json` object (as PEFT writes it; extra fields of newer PEFT versions are
   * accepted when they hold their neutral values).
   * @param json - the parsed file
   * @returns the LoRA settings
   * @throws ConfigError when it is not a LoRA config or uses a feature this project does not support (trained
   *   biases, per-module ranks, regex target modules …), naming the field
   * @example
   * ```ts
   * const lora = LoRAConfig.fromPeftJson(JSON.parse(fs.readFileSync("adapter/adapter_config.json", "utf8")));
   * ```
   */
  static fromPeftJson(json: Record<string, unknown>): LoRAConfig {
    const issues: ConfigIssue[] = [];
    for (const [key, neutral, why] of unsupported) {
      if (!neutral(json[key]))
        issues.push({ path: [key], message: `${why}, got ${JSON.stringify(json[key])}` });
    }
    let targets = json.target_modules;
    if (typeof targets === "string" && targets !== "all-linear") {
      issues.push({
        path: ["target_modules"],
        message: `regex target modules are not supported; expected a list or "all-linear", got ${JSON.stringify(targets)}`,
      });
    }
    if (targets == null) targets = undefined;
    if (issues.length) throw new ConfigError(issues, { source: "adapter_config.json" });
    const options = {
      r: json.r,
      alpha: json.lora_alpha,
      dropout: json.lora_dropout ?? 0,
      targetModules: targets,
      useRslora: json.use_rslora ?? false,
      useDora: json.use_dora ?? false,
    } as LoRAConfigOptions;
    return new LoRAConfig(options);
  }

  /**
   * Builds a LoRAConfig from an experiment config's `lora` group.
   * @param group - `config.lora`
   * @returns the LoRA settings (the group's `enabled` flag is the caller's business)
   * @throws ConfigError for invalid values
   * @example
   * ```ts
   * const lora = LoRAConfig.fromConfig(loadConfigFile("exp.yaml").lora);
   * ```
   */
  static fromConfig(group: z.input<typeof loraSchema>): LoRAConfig {
    const { enabled: _enabled, ...options } = group;
    return new LoRAConfig(options);
  }
}
