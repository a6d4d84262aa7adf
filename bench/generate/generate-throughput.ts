/**
 * Generation benchmark (not a test): prefill and decode tokens/s with the KV-cache graph, at batch 1 and 8, on
 * tiny models (llama, phi3, smollm3, olmo2) and on a random model of SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 KV heads,
 * MLP 1536, vocab 49152, tied), both written by test/reference/make_tiny_checkpoint.py. Then, per model, the
 * peer: the same KV-cache graph written as a transformers.js folder (`onnx/model.onnx`) and run greedily with
 * `@huggingface/transformers` beside our `streamGeneration`, same prompts and N (see peer-comparison.ts).
 *
 *   node --import tsx bench/generate/generate-throughput.ts [--prompt 128] [--new 32] [--only tiny|gemma|phi3|smollm3|olmo2|smol] [--threads N]
 *     [--no-peer] [--rounds 3] [--model <HF folder>] [--dtype float32|int8|int4] [--batches 1,8]
 *
 * `--model` measures that folder alone (engine lines; the peer only for float32); `--dtype` is our frozen base
 * (`backbone_dtype`), `--batches` the batch sizes.
 *
 * Engine lines: prefill tokens/s = B·T_prompt / time of the first step (one run over the whole prompt, cache
 * empty); decode tokens/s = B·(N − 1) / time of the remaining steps (one token per row per step, cache growing).
 * Peer table: the same rates, from the time to the first generated token and the whole greedy call.
 * Dimension letters: B batch, T time, N new tokens.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { Backbone, type BackboneDtype } from "../../sdk/models";
import { cachedSession, decodeStep, emptyCache } from "../../sdk/models/generate";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../../test/reference";
import { comparePeer } from "./peer-comparison";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PROMPT = Number(arg("prompt", "128"));
const NEW = Number(arg("new", "32"));
const ONLY = arg("only", "");
const THREADS = process.argv.includes("--threads") ? Number(arg("threads", "2")) : undefined;
const PEER = !process.argv.includes("--no-peer");
const ROUNDS = Number(arg("rounds", "3"));
const MODEL = arg("model", "");
const DTYPE = arg("dtype", "float32") as BackboneDtype;
const BATCHES = arg("batches", "1,8").split(",").map(Number);

const MODELS: { label: string; options: TinyCheckpointOptions }[] = [
  { label: "tiny llama (64 hidden, 2 layers)", options: { arch: "llama", seed: 1 } },
  // Sliding windows shorter than the prompt: transformers.js runs the same graph, so the windowed bias is exercised.
  { label: "tiny gemma2 (window 16)", options: { arch: "gemma2", seed: 1, slidingWindow: 16 } },
  {
    label: "tiny gemma3_text (window 16)",
    options: { arch: "gemma3_text", seed: 1, layers: 3, slidingWindow: 16 },
  },
  {
    label: "tiny phi3 (fused qkv/gate_up, partial rotary 0.75)",
    options: { arch: "phi3", seed: 3, partialRotary: 0.75 },
  },
  {
    label: "tiny smollm3 (NoPE layers)",
    options: { arch: "smollm3", seed: 4, layers: 4, noRopeLayers: [1, 1, 1, 0] },
  },
  { label: "tiny olmo2 (post-norms)", options: { arch: "olmo2", seed: 5 } },
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

const loadAverage = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ");

async function main() {
  console.log(`generation throughput — prompt ${PROMPT} tokens, ${NEW} new tokens, greedy, KV cache`);
  console.log(
    `load average ${loadAverage()} (${os.cpus().length} cores; other load makes these numbers lower bounds)`,
  );
  const models = MODEL ? [{ label: `${MODEL} (${DTYPE})`, dir: MODEL }] : MODELS;
  for (const m of models) {
    if (!MODEL && ONLY && !m.label.toLowerCase().includes(ONLY)) continue;
    const t = performance.now();
    const dir = "dir" in m ? m.dir : await makeTinyCheckpoint(m.options);
    const backbone = await Backbone.load(dir, { tokenizer: false, threads: THREADS, dtype: DTYPE });
    await measure(backbone, 1); // compiles the session
    console.log(`\n${m.label}: ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const batch of BATCHES) {
      await measure(backbone, batch); // warm-up: plans this batch size
      const r = await measure(backbone, batch);
      console.log(
        `  batch ${batch}: prefill ${r.prefillTps.toFixed(0)} tokens/s (${r.prefill.toFixed(2)} s), ` +
          `decode ${r.decodeTps.toFixed(1)} tokens/s (${((r.decode / (NEW - 1)) * 1000).toFixed(1)} ms/step)`,
      );
    }
    if (PEER && DTYPE === "float32") {
      console.log(
        `  greedy generation, ours vs transformers.js (tokens/s, best of ${ROUNDS}; prompt ${PROMPT}, ${NEW} new tokens):`,
      );
      await comparePeer({
        backbone,
        modelDir: dir,
        prompt: PROMPT,
        newTokens: NEW,
        batches: BATCHES,
        threads: THREADS,
        rounds: ROUNDS,
      });
    }
    await backbone.dispose();
  }
  console.log(
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average ${loadAverage()}`,
  );
}

void main();
