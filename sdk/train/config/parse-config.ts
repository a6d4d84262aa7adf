/** Validating an experiment configuration from any source (object, YAML, JSON, CLI). */
import { ConfigError, type ConfigIssue } from "../../errors";
import { renameKeys, snakeToCamel } from "./case-mapping";
import { checkSettings, type KeyStyle, type WrittenValues } from "./config-issues";
import { type ExperimentConfig, experimentConfigSchema } from "./experiment-schema";

/** Options of {@link parseExperimentConfig}. */
export interface ParseConfigOptions {
  /** Where the input came from (a file path, "overrides"); named in error messages. */
  source?: string;
  /** How to spell field paths in error messages: `snake` (YAML, default) or `camel` (TypeScript). */
  keyStyle?: KeyStyle;
  /**
   * The text some values were written as, keyed by camelCase dotted path (`training.learningRate` → `1e400`),
   * shown in messages instead of the parsed value (which may have lost it: `1e400` parses to `Infinity`).
   */
  writtenValues?: WrittenValues;
}

/**
 * Validates an experiment configuration and fills in every default. Keys may be snake_case (as in YAML) or
 * camelCase (as in TypeScript); both spellings of one key at once is an error.
 * @param input - a plain object, e.g. parsed YAML
 * @param options - `source` named in errors; `keyStyle` of the paths in messages
 * @returns the complete configuration, camelCase
 * @throws ConfigError listing every invalid field with its value and the allowed range (a value that is not a
 *   finite number, such as `Infinity` or `NaN`, is invalid for every setting), and every unknown key with a
 *   "did you mean" suggestion
 * @example
 * ```ts
 * const config = parseExperimentConfig({ architecture: { backbone: "./tiny" }, training: { epochs: 2 } });
 * config.training.learningRate; // 0.0001
 * ```
 */
export function parseExperimentConfig(input: unknown, options: ParseConfigOptions = {}): ExperimentConfig {
  const style = options.keyStyle ?? "snake";
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    const issue = {
      path: [],
      message: `expected a mapping of settings groups, got ${JSON.stringify(input)}`,
    };
    throw new ConfigError([issue], { source: options.source });
  }
  const duplicates: ConfigIssue[] = [];
  const camel = renameKeys(input, snakeToCamel, (path, key) =>
    duplicates.push({ path: [...path, key], message: `'${key}' is given twice (snake_case and camelCase)` }),
  );
  if (duplicates.length) throw new ConfigError(duplicates, { source: options.source });
  const checked = checkSettings(experimentConfigSchema, camel, style, options.writtenValues);
  if (!checked.success)
    throw new ConfigError(checked.issues, { source: options.source, cause: checked.cause });
  return checked.data;
}
