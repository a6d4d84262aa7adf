/**
 * The whole experiment configuration: one zod schema whose inferred type is {@link ExperimentConfig}. It serves
 * the SDK builder, YAML files and the CLI alike, so an experiment saved from a notebook re-runs unchanged.
 */
import { z } from "zod";
import {
  architectureSchema,
  augmentationSchema,
  datasetSchema,
  environmentSchema,
  loggingSchema,
  loraSchema,
  predictionSchema,
  tokenizerSchema,
  trainingSchema,
} from "./group-schemas";
import { grpoSchema } from "./grpo-schema";
import { PROBLEM_TYPE_DESCRIPTIONS, PROBLEM_TYPE_NAMES } from "./problem-type-names";

/** Schema of a complete experiment configuration (camelCase keys). Every group has defaults. */
export const experimentConfigSchema = z
  .object({
    problemType: z
      .enum(PROBLEM_TYPE_NAMES)
      .default("causal_lm")
      .describe(
        `what is learned: ${Object.entries(PROBLEM_TYPE_DESCRIPTIONS)
          .map(([name, what]) => `${name} (${what})`)
          .join("; ")}`,
      ),
    dataset: datasetSchema.default({}),
    tokenizer: tokenizerSchema.default({}),
    architecture: architectureSchema,
    lora: loraSchema.default({}),
    training: trainingSchema.default({}),
    augmentation: augmentationSchema.default({}),
    prediction: predictionSchema.default({}),
    environment: environmentSchema.default({}),
    logging: loggingSchema.default({}),
    grpo: grpoSchema.default({}),
  })
  .strict();

/** A complete, validated experiment configuration (camelCase keys, every default filled in). */
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;

/** What a user may write: every field optional except `architecture.backbone`. */
export type ExperimentConfigInput = z.input<typeof experimentConfigSchema>;

/** The names of the settings groups, in file order. */
export const CONFIG_GROUPS = [
  "dataset",
  "tokenizer",
  "architecture",
  "lora",
  "training",
  "augmentation",
  "prediction",
  "environment",
  "logging",
  "grpo",
] as const;

/** One settings group's name. */
export type ConfigGroup = (typeof CONFIG_GROUPS)[number];
