/**
 * transformers.js (`@huggingface/transformers`) as an independent consumer of ONNX exports: loads a folder
 * offline with a `dtype`, runs greedy generation, or one forward pass for the logits of every position.
 */
import path from "node:path";

type Tjs = typeof import("@huggingface/transformers");

async function tjs(): Promise<Tjs> {
  const t = await import("@huggingface/transformers");
  t.env.allowRemoteModels = false;
  t.env.allowLocalModels = true;
  return t;
}

/** A causal LM loaded by transformers.js. */
export interface TjsModel {
  /** Greedy ids of exactly `newTokens` per prompt (EOS suppressed until then). */
  greedy(prompt: readonly number[], newTokens: number): Promise<number[]>;
  /** Logits `[T, V]` of every position of one sequence (no cache). */
  logits(ids: readonly number[]): Promise<{ data: Float32Array; vocab: number }>;
  dispose(): Promise<void>;
}

function ids(t: Tjs, row: readonly number[]) {
  const data = BigInt64Array.from(row.map((v) => BigInt(v)));
  return {
    input_ids: new t.Tensor("int64", data, [1, row.length]),
    attention_mask: new t.Tensor("int64", new BigInt64Array(row.length).fill(1n), [1, row.length]),
  };
}

/**
 * Loads an exported folder with `AutoModelForCausalLM.from_pretrained`, offline.
 * @param folder - the export
 * @param dtype - `fp32`, `q8` or `q4`
 * @returns the model
 * @example
 * ```ts
 * const m = await loadTransformersJs("/tmp/onnx", "q4");
 * ```
 */
export async function loadTransformersJs(folder: string, dtype: "fp32" | "q8" | "q4"): Promise<TjsModel> {
  const t = await tjs();
  t.env.localModelPath = `${path.dirname(path.resolve(folder))}/`;
  const model = await t.AutoModelForCausalLM.from_pretrained(path.basename(folder), {
    local_files_only: true,
    dtype,
    device: "cpu",
  });
  return {
    async greedy(prompt, newTokens) {
      const input = ids(t, prompt);
      const out = await model.generate({
        inputs: input.input_ids,
        attention_mask: input.attention_mask,
        max_new_tokens: newTokens,
        min_new_tokens: newTokens,
        do_sample: false,
      });
      const seq = (out as InstanceType<Tjs["Tensor"]>).tolist() as bigint[][];
      return seq[0].slice(prompt.length).map(Number);
    },
    async logits(row) {
      const out = (await model(ids(t, row))) as { logits: InstanceType<Tjs["Tensor"]> };
      return { data: out.logits.data as Float32Array, vocab: out.logits.dims[2] };
    },
    dispose: () => model.dispose().then(() => undefined),
  };
}

/**
 * Greedy text generation through transformers.js's `pipeline("text-generation", dir)`, offline.
 * @param folder - the export (with tokenizer files)
 * @param prompt - the text
 * @param newTokens - how many tokens (EOS suppressed until then)
 * @returns the generated text (prompt excluded)
 * @example
 * ```ts
 * const text = await pipelineGreedy("/tmp/onnx", "Call me", 8);
 * ```
 */
export async function pipelineGreedy(folder: string, prompt: string, newTokens: number): Promise<string> {
  const t = await tjs();
  t.env.localModelPath = `${path.dirname(path.resolve(folder))}/`;
  const generator = await t.pipeline("text-generation", path.basename(folder), {
    local_files_only: true,
    dtype: "fp32",
    device: "cpu",
  });
  try {
    const out = (await generator(prompt, {
      max_new_tokens: newTokens,
      min_new_tokens: newTokens,
      do_sample: false,
      return_full_text: false,
    })) as { generated_text: string }[];
    return out[0].generated_text;
  } finally {
    await generator.dispose();
  }
}
