/** Experiment configuration: the zod schema, YAML/JSON files, CLI overrides. */
export { camelToSnake, snakeToCamel } from "./case-mapping";
export {
  configToPlain,
  configToYaml,
  loadConfigFile,
  readConfigDocument,
  saveConfigFile,
} from "./config-file";
export {
  CONFIG_GROUPS,
  type ConfigGroup,
  type ExperimentConfig,
  type ExperimentConfigInput,
  experimentConfigSchema,
} from "./experiment-schema";
export {
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
export { applyOverrides, resolveSettingPath } from "./overrides";
export { type ParseConfigOptions, parseExperimentConfig } from "./parse-config";
export { PROBLEM_TYPE_DESCRIPTIONS, PROBLEM_TYPE_NAMES, type ProblemTypeName } from "./problem-type-names";
export { configSchemaFingerprint } from "./schema-fingerprint";
export { describeAllowed } from "./schema-walk";
export { editDistance } from "./suggest";
