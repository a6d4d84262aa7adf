/**
 * Reads a `config.json`'s sliding-window attention (`sliding_window`, `layer_types`) into the normalised
 * {@link SlidingWindow}: which layers use the window, and its size. Each family passes its default layer pattern
 * (transformers' rule when `layer_types` is absent); an explicit `layer_types` list wins, as in transformers.
 */
import { ConfigError } from "../../errors";
import type { SlidingWindow } from "./decoder-config";

const LAYER_TYPES = ["full_attention", "sliding_attention"] as const;

/**
 * The sliding window of a config, or undefined when no layer uses one.
 * @param raw - `config.json` as stored (its `sliding_window` and optional `layer_types` are read)
 * @param numLayers - `num_hidden_layers`
 * @param source - where the config comes from, for messages
 * @param isSliding - the family's default pattern: whether layer `i` slides when `layer_types` is absent
 * @returns the window, or undefined (no `sliding_window`, or no sliding layer)
 * @throws ConfigError when `sliding_window` is not a positive integer, or `layer_types` has another length, an
 *   unknown entry, or sliding layers without a `sliding_window`
 * @example
 * ```ts
 * slidingWindowOf({ sliding_window: 4096 }, 26, "config.json", (i) => i % 2 === 0); // Gemma 2
 * ```
 */
export function slidingWindowOf(
  raw: Readonly<Record<string, unknown>>,
  numLayers: number,
  source: string,
  isSliding: (layer: number) => boolean,
): SlidingWindow | undefined {
  const fail = (path: string, message: string): never => {
    throw new ConfigError([{ path: [path], message }], { source });
  };
  const size = raw.sliding_window;
  const types = raw.layer_types;
  let layers: boolean[];
  if (types === undefined || types === null) {
    layers = Array.from({ length: numLayers }, (_, i) => isSliding(i));
  } else {
    if (!Array.isArray(types) || types.length !== numLayers) {
      fail(
        "layer_types",
        `expected a list of ${numLayers} entries (one per layer), got ${JSON.stringify(types)}`,
      );
    }
    layers = (types as unknown[]).map((t, i) => {
      if (!LAYER_TYPES.includes(t as never)) {
        const message = `layer ${i}: unknown layer type ${JSON.stringify(t)}; supported: ${LAYER_TYPES.join(", ")}`;
        fail("layer_types", message);
      }
      return t === "sliding_attention";
    });
  }
  if (size === undefined || size === null) {
    if (types && layers.some(Boolean))
      fail("sliding_window", "layer_types names sliding layers but sliding_window is missing");
    return undefined;
  }
  if (typeof size !== "number" || !Number.isInteger(size) || size <= 0) {
    fail("sliding_window", `expected a positive integer or null, got ${JSON.stringify(size)}`);
  }
  return layers.some(Boolean) ? { size: size as number, layers } : undefined;
}

/**
 * Qwen2/Qwen3's sliding window: only with `use_sliding_window: true`, on layers `i ≥ max_window_layers`
 * (default 28), unless `layer_types` lists them (transformers' `Qwen2Config`).
 * @param raw - `config.json` as stored
 * @param numLayers - `num_hidden_layers`
 * @param modelType - for messages
 * @returns the window, or undefined (the published Qwen2.5/Qwen3 configs turn it off)
 * @throws ConfigError for an invalid `sliding_window` or `layer_types`
 * @example
 * ```ts
 * qwenSlidingWindow({ use_sliding_window: true, sliding_window: 4096, max_window_layers: 21 }, 24, "qwen2");
 * ```
 */
export function qwenSlidingWindow(
  raw: Readonly<Record<string, unknown>>,
  numLayers: number,
  modelType: string,
): SlidingWindow | undefined {
  const on = raw.use_sliding_window === true;
  const from = typeof raw.max_window_layers === "number" ? raw.max_window_layers : 28;
  const fields = { ...raw, sliding_window: on ? raw.sliding_window : null };
  return slidingWindowOf(fields, numLayers, `config.json (model_type ${modelType})`, (i) => i >= from);
}
