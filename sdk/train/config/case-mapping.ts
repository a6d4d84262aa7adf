/**
 * The one mapping between YAML's snake_case keys (H2O LLM Studio style) and TypeScript's camelCase keys.
 * Only object keys are renamed; values (column names, module names) are never touched.
 */

/**
 * Converts one snake_case key to camelCase; a key already in camelCase comes back unchanged.
 * @param key - e.g. `learning_rate`, `adam_beta1`, `log_every_n_steps`
 * @returns e.g. `learningRate`, `adamBeta1`, `logEveryNSteps`
 * @example
 * ```ts
 * snakeToCamel("max_new_tokens"); // "maxNewTokens"
 * ```
 */
export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Converts one camelCase key to snake_case; a key already in snake_case comes back unchanged.
 * @param key - e.g. `logEveryNSteps`
 * @returns e.g. `log_every_n_steps`
 * @example
 * ```ts
 * camelToSnake("useRslora"); // "use_rslora"
 * ```
 */
export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Renames the keys of a nested settings object (objects inside arrays are left alone: config arrays hold
 * values, not settings).
 * @param value - a settings object, or any value (returned unchanged)
 * @param rename - the key mapping, {@link snakeToCamel} or {@link camelToSnake}
 * @param onDuplicate - called when two keys map to the same name (e.g. `learning_rate` and `learningRate`)
 * @returns a new object with renamed keys
 * @example
 * ```ts
 * renameKeys({ training: { learning_rate: 1e-4 } }, snakeToCamel); // { training: { learningRate: 1e-4 } }
 * ```
 */
export function renameKeys(
  value: unknown,
  rename: (key: string) => string,
  onDuplicate?: (path: string[], key: string) => void,
  path: string[] = [],
): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const renamed = rename(key);
    if (Object.hasOwn(out, renamed)) onDuplicate?.(path, key);
    out[renamed] = renameKeys(inner, rename, onDuplicate, [...path, renamed]);
  }
  return out;
}
