/**
 * Greedy generation timed the same way for us and for the peer (transformers.js): one call that generates exactly
 * N new tokens per row (end-of-sequence suppressed with `min_new_tokens = N`, so both sides run N steps), with the
 * time of the first generated token (prefill: one run over the whole prompt, plus choosing the token) and of
 * the whole call. Dimension letters: B batch, T prompt length, N new tokens.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Backbone } from "../../sdk/models";
import { streamGeneration } from "../../sdk/models";

/** One timed greedy generation. */
export interface TimedGeneration {
  /** Generated ids per row (prompt excluded). */
  readonly ids: number[][];
  /** Seconds to the first generated token. */
  readonly prefill: number;
  /** Seconds for the whole call. */
  readonly total: number;
}

/** Tokens/s of a timed generation: prefill B·T / prefill time, decode B·(N − 1) / the remaining time. */
export function rates(r: TimedGeneration, prompt: number): { prefillTps: number; decodeTps: number } {
  const batch = r.ids.length;
  const n = r.ids[0]?.length ?? 0;
  return { prefillTps: (batch * prompt) / r.prefill, decodeTps: (batch * (n - 1)) / (r.total - r.prefill) };
}

/**
 * Our greedy generation (`streamGeneration`, the path `generate` and `serve` use), timed.
 * @param backbone - the model
 * @param prompts - prompt ids per row (equal lengths: no padding)
 * @param newTokens - N
 * @returns ids and times
 * @example
 * ```ts
 * const r = await timeOurs(backbone, [[1, 2, 3]], 8);
 * ```
 */
export async function timeOurs(
  backbone: Backbone,
  prompts: number[][],
  newTokens: number,
): Promise<TimedGeneration> {
  const ids = prompts.map((): number[] => []);
  const t0 = performance.now();
  let first = 0;
  const stream = streamGeneration(backbone, {
    inputIds: prompts,
    maxNewTokens: newTokens,
    minNewTokens: newTokens,
    doSample: false,
  });
  for await (const chunk of stream) {
    if (!first) first = performance.now();
    ids[chunk.row].push(chunk.token);
  }
  const end = performance.now();
  return { ids, prefill: (first - t0) / 1000, total: (end - t0) / 1000 };
}

/** The loaded peer: a transformers.js causal LM. */
export interface Peer {
  /** Greedy generation of exactly `newTokens` per row, timed. */
  generate(prompts: number[][], newTokens: number): Promise<TimedGeneration>;
  /** Releases the onnxruntime sessions. */
  dispose(): Promise<void>;
}

/**
 * Loads a folder written by `writeTransformersJsFolder` with transformers.js, offline.
 * @param folder - the model folder
 * @param threads - onnxruntime intra-op threads (default: onnxruntime's own, as ours)
 * @returns the peer
 * @throws Error from transformers.js or onnxruntime when the model cannot be loaded
 * @example
 * ```ts
 * const peer = await loadPeer("/tmp/peer-model");
 * ```
 */
export async function loadPeer(folder: string, threads?: number): Promise<Peer> {
  const tjs = await import("@huggingface/transformers");
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = `${path.dirname(path.resolve(folder))}/`;
  const model = await tjs.AutoModelForCausalLM.from_pretrained(path.basename(folder), {
    local_files_only: true,
    dtype: "fp32",
    device: "cpu",
    session_options: threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {},
  });
  return {
    async generate(prompts, newTokens) {
      const [B, T] = [prompts.length, prompts[0].length];
      const flat = prompts.flat().map((v) => BigInt(v));
      const inputIds = new tjs.Tensor("int64", BigInt64Array.from(flat), [B, T]);
      const mask = new tjs.Tensor("int64", new BigInt64Array(B * T).fill(1n), [B, T]);
      let first = 0;
      let calls = 0;
      const streamer = {
        put: () => {
          calls++;
          if (calls === 2) first = performance.now(); // the first call carries the prompt
        },
        end: () => undefined,
      };
      const t0 = performance.now();
      const out = await model.generate({
        inputs: inputIds,
        attention_mask: mask,
        max_new_tokens: newTokens,
        min_new_tokens: newTokens,
        do_sample: false,
        // biome-ignore lint/suspicious/noExplicitAny: transformers.js types its streamers as a class; generate only calls put/end
        streamer: streamer as any,
      });
      const end = performance.now();
      const seq = (out as InstanceType<typeof tjs.Tensor>).tolist() as bigint[][];
      return {
        ids: seq.map((row) => row.slice(T).map(Number)),
        prefill: (first - t0) / 1000,
        total: (end - t0) / 1000,
      };
    },
    dispose: () => model.dispose().then(() => undefined),
  };
}
