/**
 * Turns zod's issues into tunebook {@link ConfigIssue}s whose messages name the field (snake_case, as in YAML),
 * the value found and what is allowed, with "did you mean" suggestions for unknown keys.
 */
import type { z } from "zod";
import type { ConfigIssue } from "../../errors";
import { camelToSnake } from "./case-mapping";
import { describeAllowed, objectKeysAt, schemaAtPath } from "./schema-walk";
import { closestMatch } from "./suggest";

/** How paths are spelt in messages. */
export type KeyStyle = "snake" | "camel";

function valueAt(input: unknown, path: readonly (string | number)[]): { found: boolean; value: unknown } {
  let current: unknown = input;
  for (const part of path) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, part)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<string | number, unknown>)[part];
  }
  return { found: true, value: current };
}

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
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
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
 * @returns one {@link ConfigIssue} per problem
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
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
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
    const message = found ? `expected ${allowed}, got ${formatValue(value)}` : `required: ${allowed}`;
    out.push({ path, message: issue.message.startsWith("required:") ? issue.message : message });
  }
  return out;
}
