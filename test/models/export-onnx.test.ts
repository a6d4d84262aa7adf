/**
 * exportOnnx: transformers.js (an independent runtime of the folder we write) loads the export and its greedy
 * ids equal ours for every family tunebook builds (a LoRA merged, bf16 and tied bases included) and for the demo
 * model through `pipeline("text-generation")`; the quantized variants (q8 int8 QDQ, q4 MatMulNBits) agree with
 * fp32 within stated margins; the folder layout; bad input (existing folder, unknown dtype, unsupported family).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Backbone, ExportError, exportOnnx } from "../../sdk/models";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../reference";
import { loadTransformersJs, pipelineGreedy } from "./transformers-js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-export-onnx-"));
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  rmSync(tmp, { recursive: true, force: true });
});
const DEMO = path.resolve("assets/tiny-llama");
const NEW = 12;

async function load(dir: string, options: Parameters<typeof Backbone.load>[1] = {}): Promise<Backbone> {
  const b = await Backbone.load(dir, options);
  backbones.push(b);
  return b;
}

async function ours(backbone: Backbone, prompt: number[], n = NEW): Promise<number[]> {
  const [r] = await backbone.generate({
    inputIds: [prompt],
    maxNewTokens: n,
    minNewTokens: n,
    doSample: false,
  });
  return [...r.tokenIds];
}

const TEXT = "the cat sat on the mat and";
const PROMPTS = [
  [5, 17, 42, 99, 3, 250, 7],
  [300, 1, 64],
];

const FAMILIES = [
  { label: "llama + LoRA (q,v) merged, bf16", opts: { arch: "llama", dtype: "bfloat16", lora: {} } },
  { label: "qwen2, tied", opts: { arch: "qwen2", tie: true } },
  { label: "qwen3", opts: { arch: "qwen3" } },
  { label: "gemma", opts: { arch: "gemma" } },
  {
    label: "mistral + LoRA (all linear)",
    opts: {
      arch: "mistral",
      lora: { targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] },
    },
  },
  // Windows shorter than prompt + new tokens, so the sliding-window layers are exercised in transformers.js too.
  { label: "gemma2 (window 4, soft-capping)", opts: { arch: "gemma2", slidingWindow: 4 } },
  { label: "gemma3_text (window 4, 3 layers)", opts: { arch: "gemma3_text", layers: 3, slidingWindow: 4 } },
  { label: "gemma3 image-text, text tower", opts: { arch: "gemma3", slidingWindow: 4, lora: {} } },
  {
    label: "phi3 (fused qkv/gate_up, partial rotary 0.75) + LoRA",
    opts: { arch: "phi3", partialRotary: 0.75, lora: { targets: ["qkv_proj", "gate_up_proj"] } },
  },
  { label: "smollm3 (NoPE layers)", opts: { arch: "smollm3", layers: 4, noRopeLayers: [1, 1, 1, 0] } },
  { label: "olmo2 (post-norms, projection q/k norm)", opts: { arch: "olmo2" } },
] satisfies { label: string; opts: TinyCheckpointOptions }[];

test("transformers.js loads the fp32 export of every family; its greedy ids and pipeline text equal ours", async () => {
  for (const [i, { label, opts }] of FAMILIES.entries()) {
    const dir = await makeTinyCheckpoint(opts);
    const backbone = await load(dir, "lora" in opts ? { adapter: path.join(dir, "adapter") } : {});
    const out = path.join(tmp, `fam-${i}-${opts.arch}`);
    const exported = await exportOnnx({ backbone, dir: out, dtypes: ["fp32"] });
    assert.deepEqual(exported.models, { fp32: "onnx/model.onnx" }, label);
    const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8"));
    assert.equal(config.model_type, opts.arch === "gemma3" ? "gemma3_text" : opts.arch, label);
    if ("lora" in opts) assert.ok(exported.mergedModules.length > 0, `${label}: merged`);
    const peer = await loadTransformersJs(out, "fp32");
    try {
      for (const prompt of PROMPTS) {
        const [mine, theirs] = [await ours(backbone, prompt), await peer.greedy(prompt, NEW)];
        assert.deepEqual(theirs, mine, `${label}, prompt ${prompt}`);
      }
    } finally {
      await peer.dispose();
    }
    const [mine] = await backbone.generate({
      prompt: TEXT,
      maxNewTokens: NEW,
      minNewTokens: NEW,
      doSample: false,
    });
    assert.equal(
      await pipelineGreedy(out, TEXT, NEW),
      mine.text,
      `${label}: pipeline("text-generation") text`,
    );
  }
});

/** Teacher-forced comparison of two models' logits over one sequence. */
function agreement(a: Float32Array, b: Float32Array, vocab: number): { top1: number; maxAbs: number } {
  let same = 0;
  let maxAbs = 0;
  const T = a.length / vocab;
  for (let t = 0; t < T; t++) {
    let [ia, ib] = [0, 0];
    for (let v = 0; v < vocab; v++) {
      const [x, y] = [a[t * vocab + v], b[t * vocab + v]];
      if (x > a[t * vocab + ia]) ia = v;
      if (y > b[t * vocab + ib]) ib = v;
      maxAbs = Math.max(maxAbs, Math.abs(x - y));
    }
    if (ia === ib) same++;
  }
  return { top1: same / T, maxAbs };
}

test("demo model: pipeline text equals ours (fp32); q8 and q4 agree with fp32 within the stated margins", async () => {
  const backbone = await load(DEMO);
  const out = path.join(tmp, "demo");
  const exported = await exportOnnx({
    backbone,
    dir: out,
    modelCard: { trainingConfig: { epochs: 2 }, metrics: { perplexity: 31.5 } },
  });
  assert.deepEqual(exported.models, {
    fp32: "onnx/model.onnx",
    q8: "onnx/model_quantized.onnx",
    q4: "onnx/model_q4.onnx",
  });
  for (const f of [
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "README.md",
    "tunebook-export.json",
    "onnx/model.onnx_data",
    "onnx/model_quantized.onnx_data",
    "onnx/model_q4.onnx_data",
  ]) {
    assert.ok(existsSync(path.join(out, f)), f);
  }
  assert.ok(!existsSync(path.join(out, ".merged")) && !existsSync(path.join(out, "model.safetensors")));
  const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8"));
  assert.deepEqual(config["transformers.js_config"], { use_external_data_format: true, dtype: "fp32" });
  const card = readFileSync(path.join(out, "README.md"), "utf8");
  assert.match(card, /library_name: transformers\.js/);
  assert.match(card, /\| perplexity \| 31\.5 \|/);
  const size = (f: string) => readFileSync(path.join(out, "onnx", f)).byteLength;
  const sizes = {
    fp32: size("model.onnx_data"),
    q8: size("model_quantized.onnx_data"),
    q4: size("model_q4.onnx_data"),
  };

  const prompt = "Call me Ishmael. Some years ago";
  const [mine] = await backbone.generate({ prompt, maxNewTokens: 16, minNewTokens: 16, doSample: false });
  assert.equal(await pipelineGreedy(out, prompt, 16), mine.text, "pipeline('text-generation') text");

  const text = "It was the best of times, it was the worst of times, the whale rose from the sea.";
  const ids = backbone.modelDir.tokenizer?.encode(text) ?? [];
  const fp32 = await loadTransformersJs(out, "fp32");
  const reference = await fp32.logits(ids);
  const ourLogits = await backbone.logits([ids]);
  assert.ok(agreement(reference.data, ourLogits.data as Float32Array, reference.vocab).maxAbs < 1e-3);
  await fp32.dispose();
  const greedyPrompt = ids.slice(0, 8);
  const base = await ours(backbone, greedyPrompt, 24);
  const stats: Record<string, unknown> = { sizes };
  for (const dtype of ["q8", "q4"] as const) {
    const q = await loadTransformersJs(out, dtype);
    try {
      const a = agreement(reference.data, (await q.logits(ids)).data, reference.vocab);
      const g = await q.greedy(greedyPrompt, 24);
      const prefix = g.findIndex((v, i) => v !== base[i]);
      stats[dtype] = { ...a, greedyPrefix: prefix < 0 ? g.length : prefix };
    } finally {
      await q.dispose();
    }
  }
  console.log(`# onnx export agreement (demo model): ${JSON.stringify(stats)}`);
  const q8 = stats.q8 as { top1: number; maxAbs: number; greedyPrefix: number };
  const q4 = stats.q4 as { top1: number; maxAbs: number; greedyPrefix: number };
  assert.ok(q8.top1 >= 0.95 && q8.maxAbs < 0.5, `q8: ${JSON.stringify(q8)}`);
  assert.ok(q4.top1 >= 0.75 && q4.maxAbs < 3, `q4: ${JSON.stringify(q4)}`);
  assert.ok(sizes.q8 < sizes.fp32 * 0.6 && sizes.q4 < sizes.q8, `sizes ${JSON.stringify(sizes)}`);
});

test("bad input: a non-export folder, an existing export without overwrite, an unknown dtype, a family ONNX cannot express", async () => {
  const backbone = await load(DEMO);
  const foreign = path.join(tmp, "foreign");
  mkdirSync(foreign);
  writeFileSync(path.join(foreign, "notes.txt"), "mine");
  await assert.rejects(
    exportOnnx({ backbone, dir: foreign, dtypes: ["fp32"], overwrite: true }),
    (e: unknown) => {
      assert.ok(e instanceof ExportError);
      assert.match(e.message, /not a tunebook export/);
      return true;
    },
  );
  assert.equal(readFileSync(path.join(foreign, "notes.txt"), "utf8"), "mine");
  const again = path.join(tmp, "again");
  await exportOnnx({ backbone, dir: again, dtypes: ["q4"] });
  await assert.rejects(exportOnnx({ backbone, dir: again, dtypes: ["fp32"] }), /--overwrite/);
  const replaced = await exportOnnx({ backbone, dir: again, dtypes: ["fp32"], overwrite: true });
  assert.ok(replaced.files.includes("onnx/model.onnx") && !replaced.files.includes("onnx/model_q4.onnx"));
  assert.ok(!existsSync(path.join(again, "onnx", "model_q4.onnx")), "the previous export is replaced whole");
  await assert.rejects(
    // biome-ignore lint/suspicious/noExplicitAny: an invalid dtype on purpose
    exportOnnx({ backbone, dir: path.join(tmp, "bad"), dtypes: ["int4" as any] }),
    /dtypes/,
  );
  const neox = {
    ...backbone,
    modelDir: { ...backbone.modelDir, modelType: "gpt_neox" },
  } as unknown as Backbone;
  await assert.rejects(exportOnnx({ backbone: neox, dir: path.join(tmp, "neox") }), (e: unknown) => {
    assert.ok(e instanceof ExportError);
    assert.match(
      e.message,
      /model_type 'gpt_neox' has no ONNX export.*gemma, gemma2, gemma3, gemma3_text, llama, .*smollm3.*--format merged/,
    );
    return true;
  });
  assert.ok(!existsSync(path.join(tmp, "neox")) && !existsSync(path.join(tmp, "bad")));
});
