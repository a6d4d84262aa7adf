/**
 * GGUF exports read by llama.cpp itself (node-llama-cpp's prebuilt CPU binary): for every family llama.cpp
 * supports, llama.cpp loads the f32 file without a warning, tokenizes text to our ids, and continues a prompt
 * greedily with our ids; f16 keeps the ids; q8_0 and q4_0 keep the mean log-probability of a held-out text
 * within stated margins of ours in f32. Also the encoders, the q/k permutation and the refusals.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { makeTinyCheckpoint, type TinyCheckpointOptions } from "../../../../test/reference";
import {
  greedyOurs,
  type LlamaCppModel,
  loadLlamaCpp,
  logProbsOurs,
} from "../../../../test/support/llama-cpp";
import { Backbone } from "../../backbone";
import { ExportError } from "../export-error";
import { exportGguf, type GGUF_TYPES } from "./export-gguf";
import { decodeTensor, encodeTensor } from "./ggml-types";
import { ggufArch, permuteRotaryRows } from "./gguf-arch";
import { nameRefusal } from "./gguf-arch-checks";

const DEMO = path.resolve(__dirname, "../../../../../assets/tiny-llama");
const PROMPT = "The fisherman checked his nets and";
const HELD_OUT =
  "In the spring the farmers planted their fields, and the children walked to school along the river. " +
  "What is the largest ocean? The Pacific is the largest ocean on the planet.";

const tmp = mkdtemp(path.join(os.tmpdir(), "tunebook-gguf-"));
after(async () => rm(await tmp, { recursive: true, force: true }));

async function exportTo(backbone: Backbone, name: string, type: (typeof GGUF_TYPES)[number]) {
  return exportGguf({ backbone, dir: path.join(await tmp, name), type });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** llama.cpp continues the prompt greedily with our 10 ids (checked by induction in one evaluation). */
async function assertSameGreedy(cpp: LlamaCppModel, backbone: Backbone, prompt: number[], name: string) {
  const ours = await greedyOurs(backbone, prompt, 10);
  const theirs = await cpp.greedyAfter([...prompt, ...ours], prompt.length);
  assert.deepEqual(theirs.slice(0, 10), ours, `${name}: greedy ids`);
}

/** Exports f32, then checks llama.cpp's log, tokenization, greedy ids and log-probs against ours. */
async function checkF32(backbone: Backbone, name: string, tolerance = 1e-4): Promise<void> {
  const out = await exportTo(backbone, name, "f32");
  const cpp = await loadLlamaCpp(out.file);
  try {
    assert.deepEqual(cpp.warnings, [], `llama.cpp warned about ${name}`);
    const tok = backbone.modelDir.tokenizer;
    assert.ok(tok);
    const prompt = cpp.tokenize(PROMPT);
    assert.deepEqual(prompt, tok.encode(PROMPT, { addSpecialTokens: false }), `${name}: tokenization`);
    assert.deepEqual(cpp.tokenize(HELD_OUT), tok.encode(HELD_OUT, { addSpecialTokens: false }));
    await assertSameGreedy(cpp, backbone, prompt, name);
    const theirs = await cpp.logProbs(prompt);
    const ours = await logProbsOurs(backbone, prompt);
    const worst = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i])));
    assert.ok(worst < tolerance, `${name}: log-probs differ by up to ${worst}`);
    console.log(
      `# ${name} (${backbone.config.modelType}) f32: greedy ids equal, worst |Δ log p| ${worst.toExponential(1)}`,
    );
  } finally {
    await cpp.dispose();
  }
}

test("q8_0 and q4_0 blocks decode to within half a quantization step, as ggml's reference quantizers", () => {
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * (i % 5));
  for (const [type, steps] of [
    ["q8_0", 127],
    ["q4_0", 8],
  ] as const) {
    const bytes = encodeTensor(type, x);
    assert.equal(bytes.length, type === "q8_0" ? 68 : 36);
    const y = decodeTensor(type, bytes);
    for (let b = 0; b < 2; b++) {
      const block = x.subarray(b * 32, b * 32 + 32);
      const step = Math.max(...block.map(Math.abs)) / steps;
      for (let j = 0; j < 32; j++) assert.ok(Math.abs(y[b * 32 + j] - block[j]) <= step * 0.51 + 1e-3);
    }
  }
  // The block's largest magnitude is stored exactly (up to the float16 scale): -8·d for q4_0.
  const one = new Float32Array(32).fill(0.25);
  one[3] = -2;
  assert.equal(decodeTensor("q4_0", encodeTensor("q4_0", one))[3], -2);
});

test("q/k rows are permuted per head from rotate-half to adjacent pairs (llama.cpp's LlamaModel.permute)", () => {
  // 2 heads of size 4, 1 column: within a head [a0 a1 b0 b1] → [a0 b0 a1 b1].
  const rows = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]);
  assert.deepEqual([...permuteRotaryRows(rows, 2, 1)], [0, 2, 1, 3, 10, 12, 11, 13]);
  const wide = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]); // 1 head of 4 rows × 2 columns
  assert.deepEqual([...permuteRotaryRows(wide, 1, 2)], [0, 0, 2, 2, 1, 1, 3, 3]);
});

// qwen2 with tied embeddings (no output.weight: llama.cpp reuses token_embd), the others untied (gemma: always tied).
for (const arch of ["llama", "mistral", "qwen2", "qwen3", "gemma"] as const) {
  test(`${arch}: llama.cpp reads the f32 GGUF without warnings, tokenizes and continues greedily as we do`, async () => {
    const backbone = await Backbone.load(await makeTinyCheckpoint({ arch, seed: 3, tie: arch === "qwen2" }));
    try {
      // ggml's CPU GELU reads a float16 lookup table: Gemma's log-probs agree to ~5e-4 instead of ~1e-6.
      await checkF32(backbone, `tiny-${arch}`, arch === "gemma" ? 2e-3 : 1e-4);
    } finally {
      await backbone.dispose();
    }
  });
}

/** A copy of a checkpoint with config.json fields replaced (in `text_config` for a gemma3 image-text model). */
async function patched(dir: string, name: string, fields: Record<string, unknown>): Promise<string> {
  const out = path.join(await tmp, `model-${name}`);
  await cp(dir, out, { recursive: true });
  const file = path.join(out, "config.json");
  const config = JSON.parse(await readFile(file, "utf8"));
  if (config.text_config) Object.assign(config.text_config, fields);
  else Object.assign(config, fields);
  await writeFile(file, JSON.stringify(config));
  return out;
}

// Gemma 2/3 in llama.cpp scale attention by 1/√head_dim (not query_pre_attn_scalar): the tiny checkpoints get
// query_pre_attn_scalar = head_dim. Windows of 4 are shorter than the prompt, so sliding layers are exercised.
const GEMMA = { query_pre_attn_scalar: 32 };
const NEW_FAMILIES: { name: string; opts: TinyCheckpointOptions; fields?: Record<string, unknown> }[] = [
  { name: "gemma2", opts: { arch: "gemma2", slidingWindow: 4 }, fields: GEMMA },
  { name: "gemma3_text", opts: { arch: "gemma3_text", layers: 3, slidingWindow: 4 }, fields: GEMMA },
  { name: "gemma3", opts: { arch: "gemma3", slidingWindow: 4, lora: {} }, fields: GEMMA },
  {
    name: "phi3",
    opts: { arch: "phi3", partialRotary: 0.75, lora: { targets: ["qkv_proj", "gate_up_proj"] } },
  },
  { name: "smollm3", opts: { arch: "smollm3", layers: 4, noRopeLayers: [1, 1, 1, 0] } },
  { name: "olmo2", opts: { arch: "olmo2", tie: true } },
];

for (const [i, f] of NEW_FAMILIES.entries()) {
  test(`${f.name}: llama.cpp reads the f32 GGUF without warnings, tokenizes and continues greedily as we do`, async () => {
    const base = await makeTinyCheckpoint({ seed: 9, ...f.opts });
    const dir = f.fields ? await patched(base, f.name, f.fields) : base;
    const adapter = f.opts.lora ? { adapter: path.join(base, "adapter") } : {};
    const backbone = await Backbone.load(dir, adapter);
    try {
      // The folder names the file: not after the family (llama.cpp special-cases a name containing "phi3").
      await checkF32(backbone, `family-${i}`, f.name.startsWith("gemma") ? 2e-3 : 1e-4);
    } finally {
      await backbone.dispose();
    }
  });
}

test("a LoRA adapter on q, k and v is merged before the q/k permutation (llama.cpp agrees with the merged model)", async () => {
  const dir = await makeTinyCheckpoint({
    arch: "llama",
    seed: 5,
    lora: { targets: ["q_proj", "k_proj", "v_proj"] },
  });
  const backbone = await Backbone.load(dir, { adapter: path.join(dir, "adapter") });
  try {
    await checkF32(backbone, "tiny-llama-lora");
  } finally {
    await backbone.dispose();
  }
});

for (const scaling of [
  { rope_type: "linear", factor: 4 },
  {
    rope_type: "llama3",
    factor: 8,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 16,
  },
]) {
  test(`RoPE scaling ${scaling.rope_type} is written as llama.cpp reads it (same greedy ids and log-probs)`, async () => {
    const dir = path.join(await tmp, `model-rope-${scaling.rope_type}`);
    await cp(await makeTinyCheckpoint({ arch: "llama", seed: 7 }), dir, { recursive: true });
    const file = path.join(dir, "config.json");
    const config = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify({ ...config, rope_scaling: scaling, max_position_embeddings: 256 }));
    const backbone = await Backbone.load(dir);
    try {
      await checkF32(backbone, `rope-${scaling.rope_type}`);
    } finally {
      await backbone.dispose();
    }
  });
}

test("the demo model: f32 and f16 give our greedy ids; q8_0 and q4_0 keep the held-out log-probability", async () => {
  const backbone = await Backbone.load(DEMO);
  try {
    await checkF32(backbone, "demo-f32");
    const tok = backbone.modelDir.tokenizer;
    assert.ok(tok);
    const prompt = tok.encode(PROMPT, { addSpecialTokens: false });
    const text = tok.encode(HELD_OUT, { addSpecialTokens: false });
    const oursPerToken = await logProbsOurs(backbone, text);
    const ours = mean(oursPerToken);
    const f16 = await loadLlamaCpp((await exportTo(backbone, "demo-f16", "f16")).file);
    await assertSameGreedy(f16, backbone, prompt, "demo-f16");
    const f16Mean = mean(await f16.logProbs(text));
    console.log(`f16: mean log-prob ${f16Mean.toFixed(5)} vs ours f32 ${ours.toFixed(5)}`);
    assert.ok(Math.abs(f16Mean - ours) < 1e-3);
    await f16.dispose();
    // Margins in mean log-probability per token (nats), measured: see docs/export.md.
    for (const [type, margin] of [
      ["q8_0", 0.01],
      ["q4_0", 0.1],
    ] as const) {
      const out = await exportTo(backbone, `demo-${type}`, type);
      const cpp = await loadLlamaCpp(out.file);
      assert.deepEqual(cpp.warnings, []);
      const perToken = await cpp.logProbs(text);
      const theirs = mean(perToken);
      const drift = mean(perToken.map((v, i) => Math.abs(v - oursPerToken[i])));
      const ppl = `perplexity ${Math.exp(-theirs).toFixed(3)} vs ours f32 ${Math.exp(-ours).toFixed(3)}`;
      console.log(`${type}: ${ppl}, mean |Δ log p| per token ${drift.toFixed(4)}, ${out.bytes} bytes`);
      assert.ok(Math.abs(theirs - ours) < margin, `${type}: ${theirs} vs ${ours} (margin ${margin})`);
      assert.ok(drift < 4 * margin, `${type}: per-token drift ${drift}`);
      await cpp.dispose();
    }
  } finally {
    await backbone.dispose();
  }
});

test("the folder holds the Modelfile (ChatML template, stop token) and refuses what it must", async () => {
  const backbone = await Backbone.load(DEMO);
  try {
    const out = await exportTo(backbone, "rules", "q8_0");
    const modelfile = await readFile(path.join(out.dir, "Modelfile"), "utf8");
    assert.match(modelfile, /^FROM \.\/model\.gguf$/m);
    assert.match(modelfile, /<\|im_start\|>\{\{ \.Role \}\}/);
    assert.match(modelfile, /^PARAMETER stop "<\|im_end\|>"$/m);
    assert.equal(out.modelfileTemplate, "ChatML");
    // The same folder again: refused without overwrite, replaced with it.
    await assert.rejects(exportGguf({ backbone, dir: out.dir }), /exists and is not empty.*overwrite/);
    await exportGguf({ backbone, dir: out.dir, overwrite: true, type: "f16" });
    // A folder that is not an export is never replaced.
    const other = path.join(await tmp, "not-an-export");
    await exportGguf({ backbone, dir: other });
    await writeFile(path.join(await tmp, "note.txt"), "mine");
    await assert.rejects(exportGguf({ backbone, dir: await tmp, overwrite: true }), ExportError);
    await assert.rejects(
      exportGguf({ backbone, dir: path.join(await tmp, "bad-type"), type: "q5_k" as never }),
      /type.*expected one of f32, f16, q4_0, q8_0/s,
    );
    await assert.rejects(exportGguf({ backbone, dir: DEMO, overwrite: true }), /base model folder/);
  } finally {
    await backbone.dispose();
  }
});

test("what llama.cpp cannot express is refused, saying why", async () => {
  const backbone = await Backbone.load(DEMO);
  try {
    const config = backbone.config;
    assert.throws(
      () => ggufArch({ ...config, modelType: "gpt_neox" }, false, "/x"),
      /does not support model_type 'gpt_neox' \(it supports llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, gemma3, phi3, smollm3, olmo2\)/,
    );
    const gemma = { ...config, modelType: "gemma", hiddenAct: "gelu_pytorch_tanh", tieWordEmbeddings: true };
    assert.throws(() => ggufArch(gemma, true, "/x"), /always uses the token embedding as the output layer/);
    assert.throws(
      () => ggufArch({ ...gemma, hiddenAct: "gelu" }, false, "/x"),
      /uses gelu_pytorch_tanh, but this model's activation is gelu/,
    );
    // What llama.cpp's gemma2/gemma3/smollm3 fix in their code rather than read from the file.
    const [S, F] = [true, false];
    const gemma2 = {
      ...gemma,
      modelType: "gemma2",
      numLayers: 4,
      attnLogitSoftcap: 50,
      finalLogitSoftcap: 30,
      slidingWindow: { size: 4, layers: [S, F, S, F] },
    };
    assert.equal(ggufArch(gemma2, false, "/x").name, "gemma2");
    assert.throws(
      () => ggufArch({ ...gemma2, attentionScale: 0.25 }, false, "/x"),
      /scales attention scores by .* \(it does not read query_pre_attn_scalar\), but this model by 0\.25/,
    );
    assert.throws(
      () => ggufArch({ ...gemma2, finalLogitSoftcap: undefined }, false, "/x"),
      /always soft-caps/,
    );
    const gemma3 = {
      ...gemma2,
      modelType: "gemma3_text",
      attnLogitSoftcap: undefined,
      finalLogitSoftcap: undefined,
    };
    assert.equal(
      ggufArch({ ...gemma3, slidingWindow: { size: 4, layers: [S, S, F, S] } }, false, "/x").name,
      "gemma3",
    );
    assert.throws(
      () => ggufArch({ ...gemma3, slidingWindow: { size: 4, layers: [S, F, F, S] } }, false, "/x"),
      /places sliding-window layers with a period .* this model's layers are SFFS/,
    );
    assert.throws(
      () => ggufArch({ ...gemma3, attnLogitSoftcap: 50 }, false, "/x"),
      /does not soft-cap attention/,
    );
    const smol = { ...config, modelType: "smollm3", numLayers: 4, ropeLayers: [S, F, S, F] };
    assert.throws(
      () => ggufArch(smol, false, "/x"),
      /skips RoPE on every fourth layer \(no_rope_layers 1,1,1,0\), but this model's no_rope_layers are 1,0,1,0/,
    );
    assert.equal(ggufArch({ ...smol, ropeLayers: [S, S, S, F] }, false, "/x").name, "smollm3");
    // llama.cpp special-cases a general.name containing "phi3": refused when the vocabulary lacks its tokens.
    assert.match(
      nameRefusal("my-phi3-run", ["a"]) ?? "",
      /named 'my-phi3-run'.*<\/s>, <unk>, <s>, <\|endoftext\|>/,
    );
    assert.equal(nameRefusal("Phi-3-mini", ["</s>", "<unk>", "<s>", "<|endoftext|>"]), undefined);
    assert.equal(nameRefusal("tiny", ["a"]), undefined);
    await assert.rejects(
      exportGguf({ backbone, dir: path.join(await tmp, "demo-phi3") }),
      /treats a model named/,
    );
    // A pre-tokenizer llama.cpp would split differently: refused, unless named explicitly.
    const model = path.join(await tmp, "whitespace-model");
    await cp(DEMO, model, { recursive: true });
    const file = path.join(model, "tokenizer.json");
    const json = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify({ ...json, pre_tokenizer: { type: "Whitespace" } }));
    const other = await Backbone.load(model);
    try {
      await assert.rejects(
        exportGguf({ backbone: other, dir: path.join(await tmp, "ws") }),
        /would split text differently.*option tokenizerPre/s,
      );
      const named = await exportGguf({
        backbone: other,
        dir: path.join(await tmp, "ws"),
        tokenizerPre: "gpt-2",
      });
      assert.equal(named.architecture, "llama");
    } finally {
      await other.dispose();
    }
  } finally {
    await backbone.dispose();
  }
});
