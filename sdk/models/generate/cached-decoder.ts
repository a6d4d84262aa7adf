/**
 * The KV-cache decoder of a `Backbone`: one ONNX graph (`generate.onnx` in the backbone's folder) with a past of
 * length P ≥ 0, so the same session runs the prefill (P = 0) and every decode step. Inputs and outputs use the
 * Hugging Face/optimum names (`input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key|value` →
 * `logits` (the last new position's only, `[B, 1, V]`), `present.{i}.key|value`). LoRA is baked in with the
 * injector's current values. The session is the backbone's one inference session (`backbone.inferenceSession`):
 * compiled on first use, rebuilt when `backbone.revision` changes, and released when the backbone needs its
 * forward session or its memory. Dimension letters: B batch, T new positions, P past, S = P + T,
 * K key/value heads, D head size, V vocabulary.
 */
import path from "node:path";
import { compile, type Session, type TensorValue, tensorValue } from "../../engine";
import type { Backbone } from "../backbone";
import { buildDecoderGraph } from "../blocks";

/** Per-layer keys and values `[B, K, P, D]`, as fed to and returned by the graph. */
export type KvCache = readonly { key: TensorValue; value: TensorValue }[];

/** One step's result: the logits of each row's last new position `[B, V]` and the grown cache. */
export interface DecodeStep {
  /** Row-major `[B, V]`: the logits of the last new position of every row. */
  readonly lastLogits: Float32Array;
  readonly cache: KvCache;
}

/**
 * Builds and compiles the KV-cache graph of a backbone.
 * @param backbone - the backbone
 * @param modelPath - where to write the ONNX file (inside `backbone.folder`)
 * @returns the session
 */
async function compileCached(backbone: Backbone, modelPath: string): Promise<Session> {
  const built = buildDecoderGraph({
    config: backbone.config,
    weights: backbone.weights,
    lora: backbone.lora,
    kvCache: true,
    lastLogitsOnly: true,
  });
  const outputs: Record<string, (typeof built)["logits"]> = { logits: built.logits };
  for (const [i, kv] of (built.present ?? []).entries()) {
    outputs[`present.${i}.key`] = kv.key;
    outputs[`present.${i}.value`] = kv.value;
  }
  try {
    return await compile(built.graph, outputs, { modelPath, ...backbone.sessionOptions });
  } finally {
    backbone.weights.close();
  }
}

/**
 * The KV-cache session of a backbone, compiled on first use and rebuilt after `updateParameters` (the backbone's
 * forward session, if it held one, is released first).
 * @param backbone - the backbone
 * @returns its session for the current revision
 * @throws WeightMismatchError / RuntimeError when the graph cannot be built or loaded
 * @example
 * ```ts
 * const session = await cachedSession(backbone);
 * ```
 */
export async function cachedSession(backbone: Backbone): Promise<Session> {
  return backbone.inferenceSession("generate", () =>
    compileCached(backbone, path.join(backbone.folder, `generate-r${backbone.revision}.onnx`)),
  );
}

/**
 * Releases the backbone's inference session (the KV-cache one, if that is what it holds).
 * @param backbone - the backbone
 * @returns when released
 * @example
 * ```ts
 * await releaseCachedSession(backbone);
 * ```
 */
export async function releaseCachedSession(backbone: Backbone): Promise<void> {
  await backbone.releaseSessions();
}

/**
 * An empty cache (P = 0) for a batch.
 * @param backbone - for the layer count and K, D
 * @param batch - B
 * @returns one empty key and value per layer
 * @example
 * ```ts
 * const cache = emptyCache(backbone, 2);
 * ```
 */
export function emptyCache(backbone: Backbone, batch: number): KvCache {
  const { numLayers, numKvHeads, headDim } = backbone.config;
  const empty = () => tensorValue("float32", [batch, numKvHeads, 0, headDim], new Float32Array(0));
  return Array.from({ length: numLayers }, () => ({ key: empty(), value: empty() }));
}

function int64(rows: readonly (readonly number[])[]): TensorValue {
  const width = rows[0].length;
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((r, b) => {
    for (let t = 0; t < width; t++) data[b * width + t] = BigInt(r[t]);
  });
  return tensorValue("int64", [rows.length, width], data);
}

/**
 * Runs one step of the KV-cache graph.
 * @param session - from {@link cachedSession}
 * @param feeds - new `ids` `[B][T]`, the `mask` over past and new positions `[B][S]`, the new `positions`
 *   `[B][T]`, and the past `cache`
 * @returns the last position's logits per row and the grown cache
 * @throws RuntimeError when onnxruntime fails
 * @example
 * ```ts
 * const { lastLogits, cache } = await decodeStep(session, { ids: [[5, 6]], mask: [[1, 1]], positions: [[0, 1]], cache: emptyCache(backbone, 1) });
 * ```
 */
export async function decodeStep(
  session: Session,
  feeds: {
    ids: readonly (readonly number[])[];
    mask: readonly (readonly number[])[];
    positions: readonly (readonly number[])[];
    cache: KvCache;
  },
): Promise<DecodeStep> {
  const values: Record<string, TensorValue> = {
    input_ids: int64(feeds.ids),
    attention_mask: int64(feeds.mask),
    position_ids: int64(feeds.positions),
  };
  feeds.cache.forEach((kv, i) => {
    values[`past_key_values.${i}.key`] = kv.key;
    values[`past_key_values.${i}.value`] = kv.value;
  });
  const out = await session.run(values);
  const [B, T, V] = out.logits.dims;
  const all = out.logits.data as Float32Array;
  const lastLogits = new Float32Array(B * V);
  for (let b = 0; b < B; b++) lastLogits.set(all.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
  const cache = feeds.cache.map((_, i) => ({
    key: out[`present.${i}.key`],
    value: out[`present.${i}.value`],
  }));
  return { lastLogits, cache };
}
