/**
 * The value at a path inside parsed JSON/YAML input (zod issue paths), and whether it is there at all: error
 * messages quote what the user sent, and say "missing" only when the key is absent.
 * @param input - the parsed input
 * @param path - keys and indices, e.g. `["messages", 0, "role"]`
 * @returns `{ found, value }` (`found` false when a key on the way is absent or a parent is not an object)
 * @example
 * ```ts
 * valueAt({ a: [{ b: 1 }] }, ["a", 0, "b"]); // { found: true, value: 1 }
 * ```
 */
export function valueAt(
  input: unknown,
  path: readonly (string | number)[],
): { found: boolean; value: unknown } {
  let current: unknown = input;
  for (const part of path) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, part)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<string | number, unknown>)[part];
  }
  return { found: true, value: current };
}
