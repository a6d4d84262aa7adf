/**
 * The plan of an experiment: its configuration's model (config.json only: nothing is loaded) and settings turned
 * into {@link planMemory}'s inputs, the step time on this machine, the memory available, and, when the plan does
 * not fit, the settings that would make it fit. `fit()` and `Experiment.resume` refuse a run that does not fit
 * before anything is loaded; `exp.plan()` and `tunebook train --plan` print it.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Backbone, DecoderConfig } from "../../models";
import { normalizeConfig, resolveModel } from "../../models";
import type { ExperimentConfig } from "../config";
import { type AvailableMemory, availableMemory } from "./available-memory";
import { matmulThroughput } from "./matmul-throughput";
import { type MemoryPlan, type PlanInputs, planMemory, stepSeconds } from "./run-plan";

/** A change of settings that makes a run fit, and the peak it would have. */
export interface PlanFix {
  /** `key=value` settings, as `tunebook train --set` takes them. */
  readonly settings: readonly string[];
  readonly peakBytes: number;
}

/** The plan of an experiment on this machine. */
export interface ExperimentPlan extends MemoryPlan {
  /** Predicted seconds per optimizer step (all micro-batches of a gradient-accumulation group). */
  readonly stepSeconds: number;
  /** The machine's measured float32 matmul throughput (FLOP/s) the step time is based on. */
  readonly flopsPerSecond: number;
  /** The memory the run may use. */
  readonly available: AvailableMemory;
  /** Whether {@link MemoryPlan.peakBytes} is within {@link available}. */
  readonly fits: boolean;
  /** When it does not fit: single changes (then combinations) that would fit, smallest change first. */
  readonly fixes: readonly PlanFix[];
}

/** Options of {@link planExperiment}. */
export interface PlanExperimentOptions {
  /** The loaded backbone of the run, when there is one (its configuration is used). */
  backbone?: Backbone;
  /** Settings the trainer accepts (a fix the trainer would refuse is not suggested); default: all. */
  supported?: (config: ExperimentConfig) => boolean;
  /** Overrides the measured available memory (tests). */
  available?: AvailableMemory;
}

async function modelConfig(config: ExperimentConfig, backbone?: Backbone): Promise<DecoderConfig> {
  if (backbone) return backbone.config;
  const given = config.architecture.backbone;
  const local = existsSync(path.join(given, "config.json"));
  const dir = local ? given : await resolveModel({ model: given, allowFile: (f) => f === "config.json" });
  const file = path.join(dir, "config.json");
  return normalizeConfig(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>, dir);
}

/**
 * The plan's inputs that a configuration describes.
 * @param config - the experiment configuration
 * @param model - the model's normalised configuration
 * @returns the inputs of `planMemory`
 * @example
 * ```ts
 * const plan = planMemory(planInputs(exp.config, backbone.config));
 * ```
 */
export function planInputs(config: ExperimentConfig, model: DecoderConfig): PlanInputs {
  const l = config.lora;
  const hasValidation = config.dataset.validationFile !== null || config.dataset.validationSize > 0;
  return {
    model,
    batchSize: config.training.batchSize,
    maxLength: config.tokenizer.maxLength,
    packing: config.training.packing,
    lora: l.enabled
      ? { targets: l.targetModules as string[] | "all-linear", r: l.r, dora: l.useDora }
      : undefined,
    backboneDtype: config.architecture.backboneDtype as PlanInputs["backboneDtype"],
    gradientCheckpointing: config.architecture.gradientCheckpointing,
    // The step fuses the head and the loss in chunks whenever the head is frozen (no LoRA on lm_head).
    chunkedLmHead: l.enabled && !(l.targetModules as string[] | "all-linear").includes("lm_head"),
    gradAccumulation: config.training.gradAccumulation,
    generationDuringTraining:
      hasValidation && ["bleu", "qa_accuracy", "llm_judge"].includes(config.prediction.metric),
    experiment: true,
  };
}

/** Candidate changes, smallest first: each is a settings list and the configuration it gives. */
function candidates(config: ExperimentConfig): { settings: string[]; config: ExperimentConfig }[] {
  const out: { settings: string[]; config: ExperimentConfig }[] = [];
  const with_ = (settings: string[], change: (c: ExperimentConfig) => void) => {
    const c = structuredClone(config);
    change(c);
    out.push({ settings, config: c });
  };
  const { batchSize: B, gradAccumulation: A } = config.training;
  for (let b = Math.floor(B / 2); b >= 1; b = b === 1 ? 0 : Math.max(1, Math.floor(b / 2))) {
    const acc = Math.ceil((B * A) / b);
    with_([`training.batch_size=${b}`, `training.grad_accumulation=${acc}`], (c) => {
      c.training.batchSize = b;
      c.training.gradAccumulation = acc;
    });
  }
  if (!config.architecture.gradientCheckpointing) {
    with_(["architecture.gradient_checkpointing=true"], (c) => {
      c.architecture.gradientCheckpointing = true;
    });
  }
  for (const dtype of ["bfloat16", "int8", "int4"] as const) {
    if (config.architecture.backboneDtype === dtype) break;
    with_([`architecture.backbone_dtype=${dtype}`], (c) => {
      (c.architecture as { backboneDtype: string }).backboneDtype = dtype;
    });
  }
  for (let t = Math.floor(config.tokenizer.maxLength / 2); t >= 64; t = Math.floor(t / 2)) {
    with_([`tokenizer.max_length=${t}`], (c) => {
      c.tokenizer.maxLength = t;
    });
  }
  return out;
}

function fixes(
  config: ExperimentConfig,
  model: DecoderConfig,
  available: number,
  supported: (c: ExperimentConfig) => boolean,
): PlanFix[] {
  const peak = (c: ExperimentConfig) => planMemory(planInputs(c, model)).peakBytes;
  const single = candidates(config).filter((x) => supported(x.config));
  const found = single
    .map((x) => ({ settings: x.settings, peakBytes: peak(x.config) }))
    .filter((x) => x.peakBytes <= available);
  // One setting of each kind that fits (the least change of that kind), at most four.
  const byKind = new Map<string, PlanFix>();
  for (const f of found) {
    const kind = f.settings[0].split("=")[0];
    if (!byKind.has(kind)) byKind.set(kind, f);
  }
  if (byKind.size) return [...byKind.values()].slice(0, 4);
  // Nothing alone fits: combine the strongest of each kind, in order, until it fits.
  let combined = config;
  const settings: string[] = [];
  for (const kind of [
    "architecture.backbone_dtype",
    "architecture.gradient_checkpointing",
    "training.batch_size",
    "tokenizer.max_length",
  ]) {
    const last = candidates(combined)
      .filter((x) => x.settings[0].startsWith(kind) && supported(x.config))
      .at(-1);
    if (!last) continue;
    combined = last.config;
    settings.push(...last.settings);
    if (peak(combined) <= available) return [{ settings, peakBytes: peak(combined) }];
  }
  return [];
}

/**
 * Plans an experiment on this machine without loading anything but the model's config.json.
 * @param config - the resolved configuration
 * @param options - the run's backbone if loaded, which settings the trainer supports, an available-memory override
 * @returns the plan: components, peak, step time, available memory, and fixes when it does not fit
 * @throws ModelDirError / HubError when the model's config.json cannot be found; UnknownModelTypeError
 * @example
 * ```ts
 * const plan = await planExperiment(exp.config);
 * console.log(formatPlan(plan));
 * ```
 */
export async function planExperiment(
  config: ExperimentConfig,
  options: PlanExperimentOptions = {},
): Promise<ExperimentPlan> {
  const model = await modelConfig(config, options.backbone);
  const memory = planMemory(planInputs(config, model));
  const threads = config.environment.threads > 0 ? config.environment.threads : undefined;
  const flopsPerSecond = await matmulThroughput({ threads });
  const available = options.available ?? availableMemory();
  const fits = memory.peakBytes <= available.bytes;
  return {
    ...memory,
    stepSeconds: stepSeconds(memory, flopsPerSecond) * config.training.gradAccumulation,
    flopsPerSecond,
    available,
    fits,
    fixes: fits ? [] : fixes(config, model, available.bytes, options.supported ?? (() => true)),
  };
}
