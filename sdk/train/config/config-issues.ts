/**
 * Turns zod's issues into tunebook {@link ConfigIssue}s whose messages name the field (snake_case, as in YAML),
 * the value found and what is allowed, with "did you mean" suggestions for unknown keys.
 */
import { z } from "zod";
import type { ConfigIssue } from "../../errors";
import { valueAt } from "../../util";
import { camelToSnake } from "./case-mapping";
import { describeAllowed, objectKeysAt, schemaAtPath, unwrapSchema } from "./schema-walk";
import { closestMatch } from "./suggest";

/** How paths are spelt in messages. */
export type KeyStyle = "snake" | "camel";

/**
 * The text some values were written as, keyed by their camelCase dotted path (`training.learningRate`), for
 * values whose parsed form lost it: YAML `1e400` and `.inf` both parse to `Infinity`.
 */
export type WrittenValues = ReadonlyMap<string, string>;

/**
 * Shows a value the way a user would write it in YAML (short, quoted strings).
 * @param value - any value
 * @returns e.g. `1.5`, `"cosin"`, `[1, 2]`
 * @example
 * ```ts
 * formatValue("cosin"); // '"cosin"'
 * ```
 */
export function formatValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function shown(path: readonly (string | number)[], value: unknown, written?: WrittenValues): string {
  return written?.get(path.join(".")) ?? formatValue(value);
}

function spell(path: readonly (string | number)[], style: KeyStyle): (string | number)[] {
  return path.map((p) => (typeof p === "string" && style === "snake" ? camelToSnake(p) : p));
}

function unknownKeyIssues(
  root: z.ZodTypeAny,
  issue: z.ZodIssue & { keys: string[] },
  style: KeyStyle,
): ConfigIssue[] {
  const allowed = objectKeysAt(root, issue.path).map((k) => (style === "snake" ? camelToSnake(k) : k));
  return issue.keys.map((key) => {
    const written = style === "snake" ? camelToSnake(key) : key;
    const guess = closestMatch(written, allowed);
    const hint = guess ? `did you mean '${guess}'?` : `allowed: ${allowed.join(", ")}`;
    return { path: spell([...issue.path, key], style), message: `unknown setting '${written}'; ${hint}` };
  });
}

/**
 * Converts zod issues from validating `input` against `root` into readable configuration issues.
 * @param root - the schema that was validated against
 * @param input - the (camelCase) input that was validated
 * @param issues - zod's issues
 * @param style - spell paths snake_case (YAML, default) or camelCase (TypeScript)
 * @param written - the text values were written as, shown instead of their parsed form
 * @returns one {@link ConfigIssue} per problem; values that are not finite numbers are left to
 *   {@link nonFiniteIssues}
 * @example
 * ```ts
 * const r = experimentConfigSchema.safeParse(input);
 * if (!r.success) throw new ConfigError(toConfigIssues(experimentConfigSchema, input, r.error.issues));
 * ```
 */
export function toConfigIssues(
  root: z.ZodTypeAny,
  input: unknown,
  issues: readonly z.ZodIssue[],
  style: KeyStyle = "snake",
  written?: WrittenValues,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (isNonFiniteNumber(root, issue.path, valueAt(input, issue.path).value)) continue;
    if (issue.code === "unrecognized_keys") {
      out.push(...unknownKeyIssues(root, issue, style));
      continue;
    }
    const path = spell(issue.path, style);
    const field = schemaAtPath(root, issue.path);
    if (issue.code === "custom" || !field) {
      out.push({ path, message: issue.message });
      continue;
    }
    const { found, value } = valueAt(input, issue.path);
    const allowed = describeAllowed(field);
    const message = found
      ? `expected ${allowed}, got ${shown(issue.path, value, written)}`
      : `required: ${allowed}`;
    out.push({ path, message: issue.message.startsWith("required:") ? issue.message : message });
  }
  return out;
}

function isNonFinite(value: unknown): value is number {
  return typeof value === "number" && !Number.isFinite(value);
}

function acceptsNumber(schema: z.ZodTypeAny): boolean {
  const { schema: inner } = unwrapSchema(schema);
  if (inner instanceof z.ZodNumber) return true;
  return inner instanceof z.ZodUnion && (inner.options as z.ZodTypeAny[]).some(acceptsNumber);
}

/** Whether `value` at `path` is a non-finite number where the schema expects a number. */
function isNonFiniteNumber(root: z.ZodTypeAny, path: readonly (string | number)[], value: unknown): boolean {
  const field = isNonFinite(value) ? schemaAtPath(root, path) : undefined;
  return field !== undefined && acceptsNumber(field);
}

function collectNonFinite(value: unknown, path: (string | number)[], out: (string | number)[][]): void {
  if (isNonFinite(value)) out.push(path);
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) collectNonFinite(item, [...path, i], out);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) collectNonFinite(inner, [...path, key], out);
  }
}

/**
 * Finds every value of a numeric setting that is `Infinity`, `-Infinity` or `NaN` (YAML `.inf`, `.nan`, a literal
 * too large for a double such as `1e400`). No setting accepts one, whatever its range says, and zod alone would
 * accept `Infinity` where a field has no upper bound.
 * @param root - the schema that describes `input`
 * @param input - the (camelCase) input
 * @param style - spell paths snake_case (YAML, default) or camelCase (TypeScript)
 * @param written - the text values were written as, shown instead of their parsed form
 * @returns one issue per such value, naming the setting, the value as written and what is allowed
 * @example
 * ```ts
 * nonFiniteIssues(experimentConfigSchema, { training: { learningRate: Infinity } });
 * // [{ path: ["training", "learning_rate"], message: "Infinity is not a finite number; expected a number > 0 and ≤ 1" }]
 * ```
 */
export function nonFiniteIssues(
  root: z.ZodTypeAny,
  input: unknown,
  style: KeyStyle = "snake",
  written?: WrittenValues,
): ConfigIssue[] {
  const paths: (string | number)[][] = [];
  collectNonFinite(input, [], paths);
  const out: ConfigIssue[] = [];
  for (const path of paths) {
    const value = valueAt(input, path).value;
    // An unknown key, or a number where a string is expected: reported by toConfigIssues.
    if (!isNonFiniteNumber(root, path, value)) continue;
    const field = schemaAtPath(root, path)!;
    const text = shown(path, value, written);
    const overflow = /^[+-]?(\d|\.\d)/.test(text)
      ? ` (too large for a 64-bit number: it reads as ${value})`
      : "";
    out.push({
      path: spell(path, style),
      message: `${text} is not a finite number${overflow}; expected ${describeAllowed(field)}`,
    });
  }
  return out;
}

/** The outcome of {@link checkSettings}: the parsed value, or the issues in readable form. */
export type SettingsCheck<T> =
  | { success: true; data: T }
  | { success: false; issues: ConfigIssue[]; cause?: z.ZodError };

/**
 * Validates settings against a schema: zod's checks plus {@link nonFiniteIssues}, every issue readable.
 * @param schema - the settings' schema
 * @param input - the (camelCase) input
 * @param style - spell paths snake_case (YAML, default) or camelCase (TypeScript)
 * @param written - the text values were written as, shown instead of their parsed form
 * @returns the parsed settings, or every issue found
 * @example
 * ```ts
 * const checked = checkSettings(loraSchema, { r: Infinity }, "camel");
 * if (!checked.success) throw new ConfigError(checked.issues, { source: "LoRAConfig" });
 * ```
 */
export function checkSettings<S extends z.ZodTypeAny>(
  schema: S,
  input: unknown,
  style: KeyStyle = "snake",
  written?: WrittenValues,
): SettingsCheck<z.output<S>> {
  const result = schema.safeParse(input);
  const nonFinite = nonFiniteIssues(schema, input, style, written);
  if (result.success && !nonFinite.length) return { success: true, data: result.data };
  const paths: (string | number)[][] = [];
  collectNonFinite(input, [], paths);
  // A cross-field rule (a custom issue) over a group holding a non-finite number says nothing useful.
  const within = (group: readonly (string | number)[]) =>
    paths.some((p) => group.every((part, i) => p[i] === part));
  const zodIssues = result.success
    ? []
    : result.error.issues.filter((i) => i.code !== "custom" || !within(i.path.slice(0, -1)));
  const rest = toConfigIssues(schema, input, zodIssues, style, written);
  return {
    success: false,
    issues: [...nonFinite, ...rest],
    cause: result.success ? undefined : result.error,
  };
}
