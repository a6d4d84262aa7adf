/**
 * A search space over settings of the experiment schema: each dotted setting path (either spelling,
 * `training.learning_rate` or `training.learningRate`) maps to a dimension — a list of values (H2O LLM Studio's
 * grid lists, as they are), `choice`, `uniform`, `log_uniform` or `int` — optionally only when another setting
 * has a given value (a conditional setting). Parsed once, checked against the schema before any trial starts.
 */
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors";
import { camelToSnake, resolveSettingPath } from "../train/config";
import { experimentConfigSchema } from "../train/config/experiment-schema";
import { schemaAtPath } from "../train/config/schema-walk";

/**
 * A camelCase dotted setting path as config files write it.
 * @param camelPath - e.g. `training.learningRate`
 * @returns e.g. `training.learning_rate`
 * @example
 * ```ts
 * snakePath("lora.useRslora"); // "lora.use_rslora"
 * ```
 */
export function snakePath(camelPath: string): string {
  return camelPath.split(".").map(camelToSnake).join(".");
}

/** A setting's value in a trial. */
export type SettingValue = string | number | boolean | null | readonly (string | number)[];

/** When a dimension applies: another setting of the same trial (or the base config) equals one of `in`. */
export interface Condition {
  /** camelCase dotted path of the setting it depends on. */
  readonly path: string;
  readonly in: readonly SettingValue[];
}

/** One dimension of a search space. */
export type Dimension = (
  | { readonly kind: "choice"; readonly values: readonly SettingValue[] }
  | { readonly kind: "uniform"; readonly low: number; readonly high: number }
  | { readonly kind: "log_uniform"; readonly low: number; readonly high: number }
  | { readonly kind: "int"; readonly low: number; readonly high: number; readonly log: boolean }
) & {
  /** camelCase dotted path, e.g. `training.learningRate`. */
  readonly path: string;
  readonly when?: Condition;
};

/** A parsed search space: its dimensions in the order written. */
export interface SearchSpace {
  readonly dimensions: readonly Dimension[];
}

const valueSchema: z.ZodType<SettingValue> = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string(), z.number()])),
]);

const whenSchema = z.record(z.string(), z.union([valueSchema, z.array(valueSchema)]));

/** How a dimension is written (snake_case or camelCase type names, YAML or code). */
export const DimensionInputSchema = z.union([
  z.array(valueSchema).min(1),
  z
    .object({
      type: z.enum(["choice", "uniform", "log_uniform", "logUniform", "int"]),
      values: z.array(valueSchema).min(1).optional(),
      low: z.number().finite().optional(),
      high: z.number().finite().optional(),
      log: z.boolean().optional(),
      when: whenSchema.optional(),
    })
    .strict(),
]);

/** A search space as written: setting path → dimension. */
export type SearchSpaceInput = Record<string, z.input<typeof DimensionInputSchema>>;

/**
 * Builders for dimensions in code.
 * @example
 * ```ts
 * const space = { "training.learning_rate": Space.logUniform(1e-5, 1e-3), "lora.r": Space.choice([4, 8, 16]) };
 * ```
 */
export const Space = {
  /** One of the values. */
  choice: (values: readonly SettingValue[]) => ({ type: "choice" as const, values: [...values] }),
  /** A float drawn uniformly in [low, high]. */
  uniform: (low: number, high: number) => ({ type: "uniform" as const, low, high }),
  /** A float whose logarithm is uniform in [ln low, ln high] (learning rates). */
  logUniform: (low: number, high: number) => ({ type: "log_uniform" as const, low, high }),
  /** An integer in [low, high] (both included), optionally log-scaled. */
  int: (low: number, high: number, options: { log?: boolean } = {}) => ({
    type: "int" as const,
    low,
    high,
    log: options.log ?? false,
  }),
};

function rangeIssues(
  kind: string,
  low: number | undefined,
  high: number | undefined,
  log: boolean,
): string[] {
  if (low === undefined || high === undefined) return [`a ${kind} range needs both low and high`];
  if (!(low < high) && !(kind === "int" && low === high)) {
    return [`the range [${low}, ${high}] is ${low === high ? "empty" : "inverted"}; give low < high`];
  }
  if (kind === "int" && (!Number.isInteger(low) || !Number.isInteger(high))) {
    return [`an int range needs integer bounds, got [${low}, ${high}]`];
  }
  if (log && low <= 0) return [`a log-scaled range needs low > 0, got ${low}`];
  return [];
}

/** Checks that a value is valid for the setting at `path`; returns the schema's complaint. */
function valueIssue(path: string[], value: unknown): string | undefined {
  const field = schemaAtPath(experimentConfigSchema, path);
  if (!field) return undefined;
  const r = field.safeParse(value);
  return r.success ? undefined : `${JSON.stringify(value)} is not valid here: ${r.error.issues[0]?.message}`;
}

function parseWhen(
  when: z.infer<typeof whenSchema> | undefined,
  at: string,
  issues: ConfigIssue[],
): Condition | undefined {
  if (!when) return undefined;
  const entries = Object.entries(when);
  if (entries.length !== 1) {
    issues.push({ path: [at, "when"], message: "expected exactly one setting to depend on" });
    return undefined;
  }
  const [key, value] = entries[0];
  const resolved = resolveSettingPath(key);
  if ("issue" in resolved) {
    issues.push({ path: [at, "when", key], message: resolved.issue.message });
    return undefined;
  }
  return { path: resolved.path.join("."), in: Array.isArray(value) ? value : [value as SettingValue] };
}

/**
 * Parses and checks a search space: every path must be a setting of the experiment schema (with a suggestion
 * when misspelt), every range non-empty and not inverted, every listed value valid for its setting.
 * @param input - setting path → dimension (a list of values, or `{ type, values | low, high, log, when }`)
 * @returns the parsed space
 * @throws ConfigError naming each bad dimension and what to write instead
 * @example
 * ```ts
 * const space = parseSearchSpace({ "training.learning_rate": { type: "log_uniform", low: 1e-5, high: 1e-3 } });
 * ```
 */
export function parseSearchSpace(input: SearchSpaceInput): SearchSpace {
  const issues: ConfigIssue[] = [];
  const dimensions: Dimension[] = [];
  if (Object.keys(input).length === 0) {
    throw new ConfigError([{ path: [], message: "the search space is empty; name at least one setting" }], {
      source: "search space",
    });
  }
  for (const [key, raw] of Object.entries(input)) {
    const resolved = resolveSettingPath(key);
    if ("issue" in resolved) {
      issues.push({ path: [key], message: resolved.issue.message });
      continue;
    }
    const parsed = DimensionInputSchema.safeParse(raw);
    if (!parsed.success) {
      const message = "expected a list of values or { type: choice|uniform|log_uniform|int, … }";
      issues.push({ path: [key], message: `${message}: ${parsed.error.issues[0]?.message}` });
      continue;
    }
    const d = parsed.data;
    const path = resolved.path.join(".");
    const spec = Array.isArray(d) ? { type: "choice" as const, values: d } : d;
    const when = Array.isArray(d) ? undefined : parseWhen(d.when, key, issues);
    const type = spec.type === "logUniform" ? "log_uniform" : spec.type;
    if (type === "choice") {
      if (!spec.values?.length) {
        issues.push({ path: [key], message: "a choice needs a non-empty `values` list" });
        continue;
      }
      for (const v of spec.values) {
        const bad = valueIssue(resolved.path, v);
        if (bad) issues.push({ path: [key], message: bad });
      }
      dimensions.push({ kind: "choice", values: spec.values, path, when });
      continue;
    }
    const log = type === "log_uniform" || spec.log === true;
    const problems = rangeIssues(type, spec.low, spec.high, log);
    for (const message of problems) issues.push({ path: [key], message });
    if (problems.length) continue;
    for (const v of [spec.low, spec.high]) {
      const bad = valueIssue(resolved.path, v);
      if (bad) issues.push({ path: [key], message: bad });
    }
    const [low, high] = [spec.low as number, spec.high as number];
    if (type === "int") dimensions.push({ kind: "int", low, high, log, path, when });
    else dimensions.push({ kind: type, low, high, path, when });
  }
  if (issues.length) throw new ConfigError(issues, { source: "search space" });
  return { dimensions };
}

/** Whether a dimension applies given the values chosen so far and the base settings. */
export function dimensionApplies(
  dimension: Dimension,
  chosen: ReadonlyMap<string, SettingValue>,
  base: (path: string) => unknown,
): boolean {
  if (!dimension.when) return true;
  const value = chosen.has(dimension.when.path) ? chosen.get(dimension.when.path) : base(dimension.when.path);
  return dimension.when.in.some((v) => JSON.stringify(v) === JSON.stringify(value));
}

function inDimension(d: Dimension, value: unknown): string | undefined {
  if (d.kind === "choice") {
    return d.values.some((v) => JSON.stringify(v) === JSON.stringify(value))
      ? undefined
      : `expected one of ${JSON.stringify(d.values)}, got ${JSON.stringify(value)}`;
  }
  if (typeof value !== "number" || !Number.isFinite(value))
    return `expected a number, got ${JSON.stringify(value)}`;
  if (d.kind === "int" && !Number.isInteger(value)) return `expected an integer, got ${value}`;
  if (value < d.low || value > d.high) return `expected a value in [${d.low}, ${d.high}], got ${value}`;
  return undefined;
}

/**
 * Checks settings proposed from outside the samplers (the LLM advisor, a user): every key must be a
 * dimension of the space (either spelling), every dimension that applies must be given, every value must lie in
 * its dimension and be valid for its setting.
 * @param space - the search space
 * @param proposed - setting path → value
 * @param base - the base configuration's settings (for conditions)
 * @returns the settings by camelCase path, or the problems found (each names the setting)
 * @example
 * ```ts
 * const r = checkProposal(space, { "training.learning_rate": 3e-4 }, () => undefined);
 * ```
 */
export function checkProposal(
  space: SearchSpace,
  proposed: Readonly<Record<string, unknown>>,
  base: (path: string) => unknown,
): { ok: true; params: Record<string, SettingValue> } | { ok: false; issues: string[] } {
  const issues: string[] = [];
  const given = new Map<string, unknown>();
  for (const [key, value] of Object.entries(proposed)) {
    const r = resolveSettingPath(key);
    const path = "path" in r ? r.path.join(".") : undefined;
    if (!path || !space.dimensions.some((d) => d.path === path)) {
      issues.push(
        `${key}: not a setting of this search (searched: ${space.dimensions.map((d) => d.path).join(", ")})`,
      );
    } else given.set(path, value);
  }
  const chosen = new Map<string, SettingValue>();
  for (const d of space.dimensions) {
    if (!dimensionApplies(d, chosen, base)) continue;
    if (!given.has(d.path)) {
      issues.push(`${d.path}: missing`);
      continue;
    }
    const value = given.get(d.path);
    const bad = inDimension(d, value) ?? valueIssue(d.path.split("."), value);
    if (bad) issues.push(`${d.path}: ${bad}`);
    else chosen.set(d.path, value as SettingValue);
  }
  return issues.length ? { ok: false, issues } : { ok: true, params: Object.fromEntries(chosen) };
}
