/** `--set group.key=value` overrides, parsed to each field's type and validated like a config file. */
import YAML from "yaml";
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "../../errors";
import { camelToSnake, snakeToCamel } from "./case-mapping";
import { type ExperimentConfig, experimentConfigSchema } from "./experiment-schema";
import { parseExperimentConfig } from "./parse-config";
import { objectKeysAt, schemaAtPath, unwrapSchema } from "./schema-walk";
import { closestMatch } from "./suggest";

/** Parses the text of one override into the type its field expects. */
function parseValue(field: z.ZodTypeAny, text: string): unknown {
  const { schema, nullable } = unwrapSchema(field);
  const trimmed = text.trim();
  if (nullable && (trimmed === "null" || trimmed === "~" || trimmed === "")) return null;
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum) return text;
  if (schema instanceof z.ZodArray || schema instanceof z.ZodUnion) {
    if (trimmed.startsWith("[")) return YAML.parse(trimmed);
    if (
      schema instanceof z.ZodUnion &&
      schema.options.some((o: z.ZodTypeAny) => o.safeParse(trimmed).success)
    ) {
      return trimmed;
    }
    return trimmed.length ? trimmed.split(",").map((s) => s.trim()) : [];
  }
  if (schema instanceof z.ZodNumber) {
    if (/^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(trimmed)) return YAML.parse(trimmed); // as in YAML
    const n = Number(trimmed);
    return trimmed === "" || Number.isNaN(n) ? text : n;
  }
  if (schema instanceof z.ZodBoolean) {
    if (/^(true|yes|on|1)$/i.test(trimmed)) return true;
    if (/^(false|no|off|0)$/i.test(trimmed)) return false;
    return text;
  }
  return YAML.parse(trimmed);
}

/**
 * Resolves a dotted setting path in either spelling to its camelCase parts, or explains what is wrong (with a
 * suggestion for a misspelt key).
 * @param dotted - e.g. `training.learning_rate` or `training.learningRate`
 * @returns `{ path }`, or `{ issue }` for an unknown setting or a whole settings group
 * @example
 * ```ts
 * resolveSettingPath("training.learning_rate"); // { path: ["training", "learningRate"] }
 * ```
 */
export function resolveSettingPath(dotted: string): { path: string[] } | { issue: ConfigIssue } {
  const parts = dotted.split(".").map((p) => snakeToCamel(p.trim()));
  for (let i = 0; i < parts.length; i++) {
    const parent = parts.slice(0, i);
    const keys = objectKeysAt(experimentConfigSchema, parent);
    if (!keys.includes(parts[i])) {
      const spelt = keys.map(camelToSnake);
      const guess = closestMatch(camelToSnake(parts[i]), spelt);
      const hint = guess
        ? `did you mean '${[...parent.map(camelToSnake), guess].join(".")}'?`
        : `allowed: ${spelt.join(", ")}`;
      return { issue: { path: dotted.split("."), message: `unknown setting; ${hint}` } };
    }
  }
  const inner = unwrapSchema(schemaAtPath(experimentConfigSchema, parts)!).schema;
  if (inner instanceof z.ZodObject) {
    return {
      issue: { path: dotted.split("."), message: "is a settings group; set one of its fields instead" },
    };
  }
  return { path: parts };
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/**
 * Applies `key=value` overrides (as given to `tunebook train --set`) to a configuration and re-validates it.
 * Keys are dotted paths in either spelling (`training.learning_rate` or `training.learningRate`); values are
 * parsed to the field's type (numbers, including YAML's `.inf` and `.nan`, booleans, `null`, lists as `a,b` or
 * `[a, b]`).
 * @param config - a validated configuration (not modified)
 * @param overrides - e.g. `["training.learning_rate=1e-4", "lora.target_modules=q_proj,v_proj"]`
 * @returns a new validated configuration
 * @throws ConfigError naming every malformed override, unknown path (with a suggestion) and invalid value (a
 *   number is shown as written: `1e400 is not a finite number`)
 * @example
 * ```ts
 * const tuned = applyOverrides(config, ["training.epochs=3", "lora.r=16"]);
 * ```
 */
export function applyOverrides(config: ExperimentConfig, overrides: readonly string[]): ExperimentConfig {
  const issues: ConfigIssue[] = [];
  const written = new Map<string, string>();
  const camel = JSON.parse(JSON.stringify({ ...config })) as Record<string, unknown>;
  for (const override of overrides) {
    const eq = override.indexOf("=");
    if (eq <= 0) {
      issues.push({ path: [], message: `expected key=value, got ${JSON.stringify(override)}` });
      continue;
    }
    const resolved = resolveSettingPath(override.slice(0, eq));
    if ("issue" in resolved) {
      issues.push(resolved.issue);
      continue;
    }
    const field = schemaAtPath(experimentConfigSchema, resolved.path)!;
    const text = override.slice(eq + 1);
    const value = parseValue(field, text);
    if (typeof value === "number") written.set(resolved.path.join("."), text.trim());
    else written.delete(resolved.path.join("."));
    setIn(camel, resolved.path, value);
  }
  if (issues.length) throw new ConfigError(issues, { source: "overrides" });
  return parseExperimentConfig(camel, { source: "overrides", writtenValues: written });
}
