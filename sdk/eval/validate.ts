import type { z } from "zod";
import { ConfigError } from "../errors";
import { MetricInputError } from "./errors";

/**
 * Parses an options object with its zod schema, turning issues into a {@link ConfigError}.
 * @param schema - the zod schema of the options
 * @param value - what the caller passed
 * @param source - the function name, shown in the error
 * @returns the parsed options, defaults applied
 * @throws ConfigError when the options do not match the schema
 * @example
 * ```ts
 * const opts = parseOptions(z.object({ k: z.number() }), { k: 1 }, "myFn");
 * ```
 */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, value: unknown, source: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
  throw new ConfigError(issues, { source });
}

/**
 * Checks that parallel arrays have the same, non-zero length.
 * @param metric - metric name for the error
 * @param arrays - named arrays, e.g. `{ yTrue, yPred }`
 * @returns the common length
 * @throws MetricInputError when lengths differ or are zero
 * @example
 * ```ts
 * const n = sameLength("mse", { yTrue: [1], yPred: [2] }); // 1
 * ```
 */
export function sameLength(metric: string, arrays: Record<string, ArrayLike<unknown>>): number {
  const entries = Object.entries(arrays);
  const n = entries[0][1].length;
  const bad = entries.find(([, a]) => a.length !== n);
  if (bad || n === 0) {
    const found = entries.map(([k, a]) => `${k}.length = ${a.length}`).join(", ");
    throw new MetricInputError({
      metric,
      expected: "arrays of the same non-zero length (one entry per row)",
      found,
      fix: "Pass one value per row in every array.",
    });
  }
  return n;
}
