/** Reading and writing experiment configurations as YAML (snake_case keys, H2O style) or JSON files. */
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { ConfigError } from "../../errors";
import { writeFileAtomic } from "../../util";
import { camelToSnake, renameKeys, snakeToCamel } from "./case-mapping";
import { CONFIG_GROUPS, type ExperimentConfig } from "./experiment-schema";
import { parseExperimentConfig } from "./parse-config";

/**
 * The configuration as a plain snake_case object, groups in the documented order (what YAML files hold).
 * @param config - a validated configuration
 * @returns a new plain object with snake_case keys
 * @example
 * ```ts
 * configToPlain(config).training.learning_rate; // 0.0001
 * ```
 */
export function configToPlain(config: ExperimentConfig): Record<string, Record<string, unknown>> {
  const ordered: Record<string, unknown> = { problemType: config.problemType };
  for (const group of CONFIG_GROUPS) ordered[group] = config[group];
  return renameKeys(ordered, camelToSnake) as Record<string, Record<string, unknown>>;
}

/**
 * Renders a configuration as YAML text (snake_case keys); parsing it back gives an equal configuration.
 * @param config - a validated configuration
 * @returns YAML text ending with a newline
 * @example
 * ```ts
 * console.log(configToYaml(config));
 * ```
 */
export function configToYaml(config: ExperimentConfig): string {
  return YAML.stringify(configToPlain(config), { lineWidth: 0, blockQuote: false });
}

function isJson(file: string): boolean {
  return path.extname(file).toLowerCase() === ".json";
}

/**
 * Reads and validates a YAML (`.yaml`, `.yml`) or JSON (`.json`) configuration file.
 * @param file - path of the file
 * @returns the complete configuration, camelCase, defaults filled in
 * @throws ConfigError when the file is missing, is not valid YAML/JSON, or holds invalid settings (each named
 *   with its value and the allowed range)
 * @example
 * ```ts
 * const config = loadConfigFile("examples/configs/tiny.yaml");
 * ```
 */
export function loadConfigFile(file: string): ExperimentConfig {
  const { raw, writtenValues } = readConfigDocument(file);
  return parseExperimentConfig(raw, { source: file, writtenValues });
}

/**
 * Reads a YAML or JSON configuration file without validating it: its parsed contents and the source text of
 * its numbers (for messages such as `1e400 is not a finite number`). For files that hold more than an experiment
 * (a search's `search:` block), which validate their parts themselves.
 * @param file - path of the file
 * @returns the parsed object (`{}` for an empty file) and the written numbers by camelCase dotted path
 * @throws ConfigError when the file is missing or is not valid YAML/JSON
 * @example
 * ```ts
 * const { raw } = readConfigDocument("search.yaml");
 * ```
 */
export function readConfigDocument(file: string): {
  raw: Record<string, unknown>;
  writtenValues?: Map<string, string>;
} {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const message = `cannot read the file (${(error as Error).message}); check the path`;
    throw new ConfigError([{ path: [], message }], { source: file, cause: error });
  }
  let raw: unknown;
  let writtenValues: Map<string, string> | undefined;
  try {
    if (isJson(file)) raw = JSON.parse(text);
    else {
      const doc = YAML.parseDocument(text, { prettyErrors: true });
      if (doc.errors.length) throw doc.errors[0];
      raw = doc.toJS();
      writtenValues = writtenNumbers(doc);
    }
  } catch (error) {
    const kind = isJson(file) ? "JSON" : "YAML";
    const message = `expected valid ${kind}, got a syntax error: ${(error as Error).message}`;
    throw new ConfigError([{ path: [], message }], { source: file, cause: error });
  }
  return { raw: (raw ?? {}) as Record<string, unknown>, writtenValues };
}

/** The source text of every number in a YAML document (`1e400`, `.inf`), by camelCase dotted path. */
function writtenNumbers(doc: YAML.Document): Map<string, string> {
  const written = new Map<string, string>();
  YAML.visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === "key" || typeof node.value !== "number" || node.source === undefined) return;
      const path: (string | number)[] = [];
      const chain = [...ancestors, node];
      chain.forEach((at, i) => {
        if (YAML.isPair(at)) path.push(snakeToCamel(String(YAML.isScalar(at.key) ? at.key.value : at.key)));
        else if (YAML.isSeq(at)) path.push(at.items.indexOf(chain[i + 1] as (typeof at.items)[number]));
      });
      written.set(path.join("."), node.source);
    },
  });
  return written;
}

/**
 * Writes a configuration to a YAML or JSON file (by extension) atomically, snake_case keys.
 * @param file - destination; `.json` writes JSON, anything else YAML
 * @param config - a validated configuration
 * @returns when the file is durable
 * @throws the underlying filesystem error
 * @example
 * ```ts
 * await saveConfigFile("experiments/run-1/config.yaml", config);
 * ```
 */
export async function saveConfigFile(file: string, config: ExperimentConfig): Promise<void> {
  const text = isJson(file) ? `${JSON.stringify(configToPlain(config), null, 2)}\n` : configToYaml(config);
  await writeFileAtomic(file, text);
}
