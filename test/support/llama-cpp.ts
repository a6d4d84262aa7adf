/**
 * llama.cpp as an independent consumer of GGUF exports, through node-llama-cpp's prebuilt CPU binary (never
 * built from source): tokenization, greedy continuation and per-token log-probabilities of a GGUF file, with
 * llama.cpp's own log captured so tests can assert it warned about nothing. The matching computations on our
 * side run on a `Backbone`'s full-sequence logits.
 */
import type { Backbone } from "../../sdk/models";

/** A GGUF file loaded in llama.cpp. */
export interface LlamaCppModel {
  /** llama.cpp's tokenization of text (no BOS/EOS added, special tokens parsed). */
  tokenize(text: string): number[];
  /**
   * llama.cpp's most likely next token after each prefix `ids[..i]`, for `i` from `from - 1` on: given a prompt
   * of length `from` followed by our greedy continuation, llama.cpp's greedy continuation is ours exactly when
   * these ids are the continuation followed by one more (one evaluation instead of one per token).
   */
  greedyAfter(ids: readonly number[], from: number): Promise<number[]>;
  /** log p(ids[i+1] | ids[..i]) for every position, natural log. */
  logProbs(ids: readonly number[]): Promise<number[]>;
  /** Warnings and errors llama.cpp logged while loading and running this model. */
  readonly warnings: readonly string[];
  dispose(): Promise<void>;
}

type NodeLlamaCpp = typeof import("node-llama-cpp");
type Llama = Awaited<ReturnType<NodeLlamaCpp["getLlama"]>>;

const logs: { level: string; message: string }[] = [];

/** A real `import()`: TypeScript's CommonJS output turns `import()` into `require()`, which node-llama-cpp (ESM
 * with top-level await) refuses. */
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;
let llama: Promise<Llama> | undefined;

function getLlama(): Promise<Llama> {
  llama ??= (async () => {
    const { getLlama: get, LlamaLogLevel } = (await importEsm("node-llama-cpp")) as NodeLlamaCpp;
    return get({
      gpu: false,
      build: "never",
      maxThreads: 2,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => logs.push({ level, message }),
    });
  })();
  return llama;
}

/** Ask llama.cpp for the full next-token distribution (sorted by probability, most likely first). */
const NEXT = { generateNext: { probabilities: true } };

function distribution(result: unknown): Map<number, number> {
  const p = (result as { next?: { probabilities?: Map<number, number> } } | undefined)?.next?.probabilities;
  if (!p) throw new Error("llama.cpp returned no next-token probabilities");
  return p;
}

/**
 * Loads a GGUF file in llama.cpp.
 * @param file - the .gguf path
 * @returns the model
 * @example
 * ```ts
 * const m = await loadLlamaCpp("/tmp/out/model.gguf");
 * const ids = m.tokenize("Hello");
 * ```
 */
export async function loadLlamaCpp(file: string): Promise<LlamaCppModel> {
  const first = logs.length;
  const lib = await getLlama();
  const model = await lib.loadModel({ modelPath: file }).catch((e: Error) => {
    const said = logs.slice(first).map((l) => l.message.trim());
    throw new Error(`llama.cpp could not load ${file}: ${e.message}\n${said.join("\n")}`);
  });
  // A float32 KV cache without flash attention, so that an f32 file is compared with float32 arithmetic throughout.
  const context = await model.createContext({
    contextSize: 256,
    batchSize: 256,
    threads: 2,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
  });
  const sequence = context.getSequence();
  const warnings = (): string[] =>
    logs
      .slice(first)
      .filter((l) => ["warn", "error", "fatal"].includes(l.level))
      .map((l) => `${l.level}: ${l.message.trim()}`);
  return {
    tokenize: (text) => [...model.tokenize(text, true)],
    greedyAfter: async (ids, from) => {
      await sequence.clearHistory();
      const results = await sequence.controlledEvaluate(
        ids.map((t, i) => (i >= from - 1 ? [t, NEXT] : t) as never),
      );
      return results.slice(from - 1).map((r) => distribution(r).keys().next().value as number);
    },
    logProbs: async (ids) => {
      await sequence.clearHistory();
      const results = await sequence.controlledEvaluate(ids.map((t) => [t, NEXT] as never));
      return ids.slice(1).map((next, i) => Math.log(distribution(results[i]).get(next) ?? 0));
    },
    get warnings() {
      return warnings();
    },
    dispose: async () => {
      await context.dispose();
      await model.dispose();
    },
  };
}

function logSoftmaxAt(data: Float32Array, offset: number, V: number, id: number): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, data[offset + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(data[offset + v] - max);
  return data[offset + id] - max - Math.log(sum);
}

/**
 * Our greedy continuation, recomputing the full sequence's logits at each step (independent of the KV cache).
 * @param backbone - the model
 * @param ids - the prompt ids
 * @param n - new tokens
 * @returns the `n` new ids
 * @example
 * ```ts
 * const ours = await greedyOurs(backbone, [1, 2, 3], 8);
 * ```
 */
export async function greedyOurs(backbone: Backbone, ids: readonly number[], n: number): Promise<number[]> {
  const seq = [...ids];
  for (let i = 0; i < n; i++) {
    const { data, dims } = await backbone.logits([seq]);
    const V = dims[2];
    const offset = (seq.length - 1) * V;
    let best = 0;
    for (let v = 1; v < V; v++) if (data[offset + v] > data[offset + best]) best = v;
    seq.push(best);
  }
  return seq.slice(ids.length);
}

/**
 * Our log p(ids[i+1] | ids[..i]) at every position.
 * @param backbone - the model
 * @param ids - the text's ids
 * @returns one natural-log probability per next token
 * @example
 * ```ts
 * const lp = await logProbsOurs(backbone, ids);
 * ```
 */
export async function logProbsOurs(backbone: Backbone, ids: readonly number[]): Promise<number[]> {
  const { data, dims } = await backbone.logits([[...ids]]);
  const V = dims[2];
  return ids.slice(1).map((next, i) => logSoftmaxAt(data, i * V, V, next));
}
