/**
 * Greedy generation with the KV cache is exact: for llama, qwen3, gemma, phi3, smollm3 and olmo2 (with LoRA on
 * qwen3 and on phi3's fused modules, DoRA on qwen2), and gemma2, gemma3_text, mistral and phi3 with a sliding window shorter than
 * the sequences, on a
 * left-padded batch of two prompts of different lengths, every generated token equals the argmax of a fresh
 * no-cache forward (`backbone.logits`) over the whole sequence so far, and the tokens equal Hugging
 * Face-style greedy decoding in the independent PyTorch reference (`test/reference`, eos stopping as HF).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Backbone } from "../../sdk/models";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../reference";
import { torchReferences } from "../reference/torch-reference";

const PROMPTS = [
  [72, 101, 108, 108, 111, 44, 32, 119],
  [300, 42, 7],
];
const NEW_TOKENS = 10;

const CASES: { label: string; options: TinyCheckpointOptions; lora?: boolean }[] = [
  { label: "llama", options: { arch: "llama", seed: 11 } },
  {
    label: "qwen3 + LoRA adapter",
    options: { arch: "qwen3", seed: 12, lora: { r: 4, alpha: 8 } },
    lora: true,
  },
  { label: "gemma", options: { arch: "gemma", seed: 13 } },
  {
    label: "phi3 + LoRA on the fused qkv_proj and gate_up_proj",
    options: {
      arch: "phi3",
      seed: 14,
      partialRotary: 0.75,
      lora: { r: 4, alpha: 8, targets: ["qkv_proj", "gate_up_proj"] },
    },
    lora: true,
  },
  {
    label: "qwen2 + DoRA adapter (biases, DoRA on lm_head)",
    options: {
      arch: "qwen2",
      seed: 19,
      lora: { r: 4, alpha: 8, dora: true, targets: ["q_proj", "v_proj", "down_proj", "lm_head"] },
    },
    lora: true,
  },
  {
    label: "smollm3 (NoPE layers)",
    options: { arch: "smollm3", seed: 15, layers: 3, noRopeLayers: [1, 0, 0] },
  },
  { label: "olmo2", options: { arch: "olmo2", seed: 16 } },
  // Prompts of 8 and 3 tokens plus 10 new ones cross original_max_position_embeddings 12: the cache is re-run.
  { label: "phi3 LongRoPE crossing to the long factors", options: { arch: "phi3", seed: 17, longrope: 12 } },
  // Sliding window 4 < prompt + new tokens: the cache graph's windowed bias must close the older keys.
  { label: "gemma2, window 4", options: { arch: "gemma2", seed: 14, slidingWindow: 4 } },
  { label: "gemma3_text, window 4", options: { arch: "gemma3_text", seed: 15, layers: 3, slidingWindow: 4 } },
  { label: "mistral, window 4", options: { arch: "mistral", seed: 16, slidingWindow: 4 } },
  { label: "phi3, window 4", options: { arch: "phi3", seed: 18, slidingWindow: 4 } },
];

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
});

function leftPad(rows: number[][], pad: number) {
  const width = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...Array(width - r.length).fill(pad), ...r]),
    mask: rows.map((r) => [...Array(width - r.length).fill(0), ...r.map(() => 1)]),
  };
}

/** Greedy decoding without a cache: a full forward over the sequence at every step, HF positions. */
async function greedyNoCache(backbone: Backbone, rows: number[][], n: number, eos: Set<number>) {
  const pad = backbone.modelDir.tokenizer?.padTokenId ?? 0;
  const out: number[][] = rows.map(() => []);
  const seqs = rows.map((r) => [...r]);
  for (let step = 0; step < n; step++) {
    const { ids, mask } = leftPad(seqs, pad);
    const positions = mask.map((m) => {
      let seen = 0;
      return m.map((v) => (v ? seen++ : 1));
    });
    const { dims, data } = await backbone.logits(ids, mask, positions);
    const [, T, V] = dims;
    for (let b = 0; b < rows.length; b++) {
      if (out[b].length > 0 && eos.has(out[b][out[b].length - 1])) continue;
      const last = data.subarray((b * T + T - 1) * V, (b * T + T) * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
      out[b].push(best);
      seqs[b].push(best);
    }
  }
  return out;
}

function untilEos(row: number[], eos: Set<number>): number[] {
  const i = row.findIndex((t) => eos.has(t));
  return i < 0 ? row : row.slice(0, i + 1);
}

test("greedy KV-cache generation equals no-cache argmax and the PyTorch reference", async () => {
  const dirs = await Promise.all(CASES.map((c) => makeTinyCheckpoint(c.options)));
  const loaded = await Promise.all(
    CASES.map((c, i) => Backbone.load(dirs[i], c.lora ? { adapter: `${dirs[i]}/adapter` } : {})),
  );
  backbones.push(...loaded);
  const refs = await torchReferences({
    runs: CASES.map((c, i) => {
      const { ids, mask } = leftPad(PROMPTS, loaded[i].modelDir.tokenizer?.padTokenId ?? 0);
      return {
        model: dirs[i],
        adapter: c.lora ? `${dirs[i]}/adapter` : undefined,
        inputIds: ids,
        attentionMask: mask,
        generate: NEW_TOKENS,
        stopAtEos: true,
      };
    }),
  });
  for (const [i, c] of CASES.entries()) {
    const backbone = loaded[i];
    const eos = new Set(backbone.modelDir.tokenizer?.eosTokenIds ?? []);
    const results = await backbone.generate({ inputIds: PROMPTS, maxNewTokens: NEW_TOKENS, doSample: false });
    const ours = results.map((r) => [...r.tokenIds]);
    if (process.env.DEBUG_GEN) console.log(c.label, JSON.stringify(ours));
    assert.ok(
      ours.some((r) => r.length > 1),
      `${c.label}: generated almost nothing`,
    );
    assert.deepEqual(
      ours,
      await greedyNoCache(backbone, PROMPTS, NEW_TOKENS, eos),
      `${c.label}: cache vs no-cache`,
    );
    const reference = (refs[i].generated ?? []).map((r) => untilEos(r, eos));
    assert.deepEqual(ours, reference, `${c.label}: vs PyTorch greedy`);
    for (const [b, r] of results.entries()) {
      assert.equal(r.promptTokens, PROMPTS[b].length);
      assert.equal(r.finishReason, eos.has(r.tokenIds[r.tokenIds.length - 1]) ? "stop" : "length");
    }
  }
});
