/**
 * Reading the config schema itself: finding the schema of one field by its path and describing in words what
 * it accepts. Used for error messages ("expected a number ≥ 0 and ≤ 1, got 1.5") and typed `--set` overrides.
 */
import { z } from "zod";

/**
 * Strips wrappers (default, optional, nullable, preprocess/refine effects) off a schema.
 * @param schema - any zod schema
 * @returns the inner schema and whether `null` is accepted
 * @example
 * ```ts
 * unwrapSchema(z.number().nullable().default(null)).schema; // the ZodNumber
 * ```
 */
export function unwrapSchema(schema: z.ZodTypeAny): { schema: z.ZodTypeAny; nullable: boolean } {
  let current = schema;
  let nullable = false;
  for (;;) {
    if (current instanceof z.ZodDefault) current = current._def.innerType;
    else if (current instanceof z.ZodOptional) current = current._def.innerType;
    else if (current instanceof z.ZodNullable) {
      nullable = true;
      current = current._def.innerType;
    } else if (current instanceof z.ZodEffects) current = current._def.schema;
    else return { schema: current, nullable };
  }
}

/**
 * Finds the schema of the field at `path` (camelCase keys), or `undefined` when no such field exists.
 * @param root - the schema to start from (an object schema)
 * @param path - field keys, e.g. `["training", "learningRate"]`; numeric parts index into arrays
 * @returns the field's (wrapped) schema, or `undefined`
 * @example
 * ```ts
 * schemaAtPath(experimentConfigSchema, ["lora", "r"]); // ZodDefault<ZodNumber>
 * ```
 */
export function schemaAtPath(
  root: z.ZodTypeAny,
  path: readonly (string | number)[],
): z.ZodTypeAny | undefined {
  let current: z.ZodTypeAny | undefined = root;
  for (const part of path) {
    if (current === undefined) return undefined;
    const inner: z.ZodTypeAny = unwrapSchema(current).schema;
    if (inner instanceof z.ZodObject) current = (inner.shape as Record<string, z.ZodTypeAny>)[String(part)];
    else if (inner instanceof z.ZodArray && typeof part === "number") current = inner.element;
    else if (inner instanceof z.ZodUnion) {
      const arr = (inner.options as z.ZodTypeAny[]).find(
        (o) => o instanceof z.ZodArray,
      ) as z.ZodArray<z.ZodTypeAny>;
      current = arr && typeof part === "number" ? arr.element : undefined;
    } else return undefined;
  }
  return current;
}

/**
 * The keys of the object schema at `path`, or `[]` when it is not an object.
 * @param root - the schema to start from
 * @param path - camelCase keys of an object field (`[]` for the root)
 * @returns the allowed keys, camelCase
 * @example
 * ```ts
 * objectKeysAt(experimentConfigSchema, ["lora"]); // ["enabled", "r", "alpha", …]
 * ```
 */
export function objectKeysAt(root: z.ZodTypeAny, path: readonly (string | number)[]): string[] {
  const at = schemaAtPath(root, path);
  if (!at) return [];
  const inner = unwrapSchema(at).schema;
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function describeNumber(schema: z.ZodNumber): string {
  const parts: string[] = [];
  for (const check of schema._def.checks) {
    if (check.kind === "min") parts.push(`${check.inclusive ? "≥" : ">"} ${check.value}`);
    if (check.kind === "max") parts.push(`${check.inclusive ? "≤" : "<"} ${check.value}`);
  }
  const isInt = schema._def.checks.some((c) => c.kind === "int");
  return `${isInt ? "an integer" : "a number"}${parts.length ? ` ${parts.join(" and ")}` : ""}`;
}

/**
 * Describes in words what a schema accepts, for error messages.
 * @param schema - a field's schema (wrappers allowed)
 * @returns e.g. `"an integer ≥ 1 and ≤ 1024"`, `"one of cosine | linear | constant"`, `"a string or null"`
 * @example
 * ```ts
 * describeAllowed(z.number().min(0).max(1)); // "a number ≥ 0 and ≤ 1"
 * ```
 */
export function describeAllowed(schema: z.ZodTypeAny): string {
  const { schema: inner, nullable } = unwrapSchema(schema);
  let text: string;
  if (inner instanceof z.ZodNumber) text = describeNumber(inner);
  else if (inner instanceof z.ZodBoolean) text = "true or false";
  else if (inner instanceof z.ZodString) {
    const regex = inner._def.checks.find((c) => c.kind === "regex");
    text = regex?.message ? `a string of ${regex.message}` : "a non-empty string";
  } else if (inner instanceof z.ZodEnum) text = `one of ${(inner.options as string[]).join(" | ")}`;
  else if (inner instanceof z.ZodLiteral) text = `exactly ${JSON.stringify(inner.value)}`;
  else if (inner instanceof z.ZodArray) {
    const nonEmpty = (inner._def.minLength?.value ?? 0) > 0;
    text = `${nonEmpty ? "a non-empty list" : "a list"}, each item ${describeAllowed(inner.element)}`;
  } else if (inner instanceof z.ZodUnion) {
    text = (inner.options as z.ZodTypeAny[]).map((o) => describeAllowed(o)).join(" or ");
  } else if (inner instanceof z.ZodObject) {
    const shape = inner.shape as Record<string, z.ZodTypeAny>;
    const required = Object.keys(shape).filter((k) => !shape[k].isOptional());
    text = `a mapping of settings${required.length ? ` with at least ${required.join(", ")}` : ""}`;
  } else text = "a valid value";
  return nullable ? `${text} or null` : text;
}
