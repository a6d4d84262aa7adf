import type { z } from "zod";
import { ConfigError } from "./config-error";

/**
 * Validates an options object with its zod schema, turning every issue into one {@link ConfigError}. The one
 * place every layer turns a schema failure into a user-facing error.
 *
 * @param schema - the zod schema of the options
 * @param options - what the caller passed
 * @param source - where the options come from, for the message (e.g. `"loadModelDir options"`)
 * @returns the parsed options, with defaults filled in
 * @throws {@link ConfigError} listing every invalid field
 * @example
 * ```ts
 * const { dir } = parseOptions(z.object({ dir: z.string() }), { dir: "/m" }, "loadModelDir options");
 * ```
 */
export function parseOptions<S extends z.ZodTypeAny>(
  schema: S,
  options: unknown,
  source: string,
): z.output<S> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((i) => ({ path: i.path, message: i.message })),
    { source },
  );
}
