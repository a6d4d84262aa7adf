/**
 * Generation benchmark (not a test): prefill and decode tokens/s with the KV-cache graph, at batch 1 and 8, on a
 * tiny model and on a random model of SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 KV heads,
 * MLP 1536, vocab 49152, tied), both written by test/reference/make_tiny_checkpoint.py. Then the peer
 * (transformers.js), if it is installed and can load the model.
 *
 *   node --import tsx bench/generate/generate-throughput.ts [--prompt 128] [--new 32] [--only tiny|smol] [--threads N]
 *
 * Prefill tokens/s = B·T_prompt / time of the first step (one run over the whole prompt, cache empty);
 * decode tokens/s = B·(N − 1) / time of the remaining steps (one token per row per step, cache growing).
 * Dimension letters: B batch, T time, N new tokens.
 */
import { performance } from "node:perf_hooks";
import { Backbone } from "../../sdk/models";
import { cachedSession, decodeStep, emptyCache } from "../../sdk/models/generate";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../../test/reference";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PROMPT = Number(arg("prompt", "128"));
const NEW = Number(arg("new", "32"));
const ONLY = arg("only", "");
const THREADS = process.argv.includes("--threads") ? Number(arg("threads", "2")) : undefined;

const MODELS: { label: string; options: TinyCheckpointOptions }[] = [
  { label: "tiny llama (64 hidden, 2 layers)", options: { arch: "llama", seed: 1 } },
  {
    label: "SmolLM2-135M-shaped llama (random)",
    options: {
      arch: "llama",
      seed: 2,
      hidden: 576,
      layers: 30,
      heads: 9,
      kvHeads: 3,
      intermediate: 1536,
      vocab: 49152,
      tie: true,
    },
  },
];

async function measure(backbone: Backbone, batch: number) {
  const session = await cachedSession(backbone);
  const ids = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: PROMPT }, (_, t) => (b * 7 + t * 13) % 500),
  );
  const mask = ids.map((r) => r.map(() => 1));
  const positions = ids.map((r) => r.map((_, t) => t));
  const t0 = performance.now();
  let step = await decodeStep(session, { ids, mask, positions, cache: emptyCache(backbone, batch) });
  const prefill = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  for (let n = 1; n < NEW; n++) {
    for (const m of mask) m.push(1);
    const next = ids.map((_, b) => [(b * 31 + n * 17) % 500]);
    step = await decodeStep(session, {
      ids: next,
      mask,
      positions: next.map(() => [PROMPT + n - 1]),
      cache: step.cache,
    });
  }
  const decode = (performance.now() - t1) / 1000;
  return { prefillTps: (batch * PROMPT) / prefill, decodeTps: (batch * (NEW - 1)) / decode, prefill, decode };
}

async function peer(): Promise<string> {
  try {
    require.resolve("@huggingface/transformers");
  } catch {
    return "not run: @huggingface/transformers is not installed (the peer needs the npm package and the model exported as onnx/model.onnx with transformers.js' external-data layout).";
  }
  return "not run: exporting the KV-cache graph in transformers.js' file layout (onnx/model.onnx + model.onnx_data) is not implemented yet.";
}

async function main() {
  console.log(`generation throughput — prompt ${PROMPT} tokens, ${NEW} new tokens, greedy, KV cache`);
  for (const m of MODELS) {
    if (ONLY && !m.label.toLowerCase().includes(ONLY)) continue;
    const t = performance.now();
    const dir = await makeTinyCheckpoint(m.options);
    const backbone = await Backbone.load(dir, { tokenizer: false, threads: THREADS });
    await measure(backbone, 1); // compiles the session
    console.log(`\n${m.label}: ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const batch of [1, 8]) {
      await measure(backbone, batch); // warm-up: plans this batch size
      const r = await measure(backbone, batch);
      console.log(
        `  batch ${batch}: prefill ${r.prefillTps.toFixed(0)} tokens/s (${r.prefill.toFixed(2)} s), ` +
          `decode ${r.decodeTps.toFixed(1)} tokens/s (${((r.decode / (NEW - 1)) * 1000).toFixed(1)} ms/step)`,
      );
    }
    await backbone.dispose();
  }
  console.log(`\npeer (transformers.js): ${await peer()}`);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

void main();
