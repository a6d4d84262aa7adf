// Self-consistency checks of the tiny checkpoints and the PyTorch reference. B batch, T sequence, V vocab, H hidden.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { ConfigError } from "../../sdk/errors";
import { readSafetensors, writeSafetensorsF32 } from "./read-safetensors";
import { ReferenceUnavailableError } from "./reference-unavailable-error";
import { torchAvailable } from "./run-script";
import { torchOps } from "./torch-ops";
import { makeTinyCheckpoint, type ReferenceOutput, torchReference, torchReferences } from "./torch-reference";

const json = (dir: string, file: string) => JSON.parse(readFileSync(path.join(dir, file), "utf8"));
const maxAbsDiff = (a: number[][][], b: number[][][]) =>
  Math.max(...a.flatMap((r, i) => r.flatMap((v, j) => v.map((x, k) => Math.abs(x - b[i][j][k])))));
const argmax = (v: number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

const IDS = [
  [12, 300, 45, 7, 199, 88, 402, 3],
  [500, 64, 2, 2, 90, 130, 256, 11],
];

test("checkpoint files follow the Hugging Face layout", async () => {
  const dir = await makeTinyCheckpoint({ arch: "llama" });
  const cfg = json(dir, "config.json");
  assert.deepEqual(cfg.architectures, ["LlamaForCausalLM"]);
  assert.equal(cfg.tie_word_embeddings, false);
  const file = readSafetensors(path.join(dir, "model.safetensors"));
  assert.equal((8 + file.headerLength) % 8, 0, "data must start 8-byte aligned");
  assert.deepEqual(file.metadata, { format: "pt" });
  const t = file.tensors;
  const D = cfg.hidden_size / cfg.num_attention_heads;
  assert.deepEqual(t["model.layers.0.self_attn.q_proj.weight"].shape, [
    cfg.num_attention_heads * D,
    cfg.hidden_size,
  ]);
  assert.deepEqual(t["model.layers.1.self_attn.k_proj.weight"].shape, [
    cfg.num_key_value_heads * D,
    cfg.hidden_size,
  ]);
  assert.deepEqual(t["model.layers.1.mlp.down_proj.weight"].shape, [cfg.hidden_size, cfg.intermediate_size]);
  assert.deepEqual(t["lm_head.weight"].shape, [cfg.vocab_size, cfg.hidden_size]);
  const ranges = Object.values(t)
    .map((x) => x.dataOffsets)
    .sort((a, b) => a[0] - b[0]);
  for (const [i, r] of ranges.entries())
    assert.equal(r[0], i === 0 ? 0 : ranges[i - 1][1], "tensors are packed");
  // The tokenizer loads in @huggingface/tokenizers, round-trips text and keeps special tokens whole.
  const tok = new Tokenizer(json(dir, "tokenizer.json"), json(dir, "tokenizer_config.json"));
  const text = "<|im_start|>user\nThe fisherman counted 366 days.<|im_end|>";
  const ids = tok.encode(text).ids;
  assert.equal(ids[0], cfg.bos_token_id + 1, "<|im_start|> follows <|endoftext|>");
  assert.equal(ids.at(-1), cfg.eos_token_id);
  assert.ok(ids.length < Buffer.byteLength(text) / 2, "merges must compress English text");
  assert.equal(tok.decode(ids, { skip_special_tokens: false }), text);
  assert.equal(json(dir, "tokenizer.json").model.vocab.Ġthe < 512, true);
  const template = new Template(json(dir, "tokenizer_config.json").chat_template);
  const chat = template.render({ messages: [{ role: "user", content: "Hi" }], add_generation_prompt: true });
  assert.equal(chat, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
});

test("sharded and single-file checkpoints give identical logits", async () => {
  const single = await makeTinyCheckpoint({ arch: "qwen2" });
  const sharded = await makeTinyCheckpoint({ arch: "qwen2", shards: 3 });
  const index = json(sharded, "model.safetensors.index.json");
  assert.deepEqual(new Set(Object.values(index.weight_map)).size, 3);
  assert.equal(
    index.weight_map["model.layers.0.self_attn.q_proj.bias"].endsWith("-of-00003.safetensors"),
    true,
  );
  const [a, b] = await torchReferences({
    runs: [single, sharded].map((model) => ({ model, inputIds: IDS })),
  });
  assert.equal(maxAbsDiff(a.logits, b.logits), 0);
});

test("bfloat16 and float16 checkpoints store rounded weights and match float32 logits within tolerance", async () => {
  const [f32, bf16, f16] = await Promise.all(
    (["float32", "bfloat16", "float16"] as const).map((dtype) =>
      makeTinyCheckpoint({ arch: "mistral", dtype }),
    ),
  );
  const name = "model.layers.0.mlp.up_proj.weight";
  const read = (dir: string) => readSafetensors(path.join(dir, "model.safetensors")).tensors[name];
  const w32 = read(f32);
  // Round to nearest: relative error ≤ 2^-8 (bf16, 8 significant bits) and ≤ 2^-11 (f16, above its subnormals).
  for (const [dir, dtype, rel] of [
    [bf16, "BF16", 2 ** -8],
    [f16, "F16", 2 ** -11],
  ] as const) {
    const w = read(dir);
    assert.equal(w.dtype, dtype);
    let differ = 0;
    w32.values.forEach((x, i) => {
      assert.ok(
        Math.abs(w.values[i] - x) <= Math.max(Math.abs(x) * rel, 2 ** -25),
        `${dtype} rounding of ${x}`,
      );
      if (w.values[i] !== x) differ++;
    });
    assert.ok(differ > w32.values.length / 2, `most weights change when rounded to ${dtype}`);
  }
  const [a, b, c] = await torchReferences({
    runs: [f32, bf16, f16].map((model) => ({ model, inputIds: IDS })),
  });
  const diffBf16 = maxAbsDiff(a.logits, b.logits);
  const diffF16 = maxAbsDiff(a.logits, c.logits);
  assert.ok(diffBf16 > 0 && diffBf16 < 0.1, `bf16 vs f32 logits differ by ${diffBf16}`);
  assert.ok(diffF16 > 0 && diffF16 < diffBf16 / 2, `f16 vs f32 logits differ by ${diffF16}`);
});

function project(hidden: number[][][], weight: { shape: number[]; values: Float64Array }): number[][][] {
  const [V, H] = weight.shape;
  return hidden.map((row) =>
    row.map((h) =>
      Array.from({ length: V }, (_, v) => h.reduce((s, x, k) => s + x * weight.values[v * H + k], 0)),
    ),
  );
}

test("tied checkpoints project with embed_tokens, untied ones with lm_head; Gemma scales embeddings by √H", async () => {
  const cases = [{ arch: "llama", tie: true }, { arch: "llama" }, { arch: "gemma" }] as const;
  const dirs = await Promise.all(cases.map((c) => makeTinyCheckpoint(c)));
  const runs = dirs.map((model) => ({ model, inputIds: IDS, hidden: true, hiddenStates: true }));
  const refs = await torchReferences({ runs });
  cases.forEach((opts, i) => {
    const cfg = json(dirs[i], "config.json");
    const tensors = readSafetensors(path.join(dirs[i], "model.safetensors")).tensors;
    const tied = opts.arch === "gemma" || "tie" in opts;
    assert.equal("lm_head.weight" in tensors, !tied);
    // Real Gemma configs leave tie_word_embeddings out (default true); the others state it.
    assert.equal(cfg.tie_word_embeddings, opts.arch === "gemma" ? undefined : tied);
    const head = tensors[tied ? "model.embed_tokens.weight" : "lm_head.weight"];
    const diff = maxAbsDiff(project(refs[i].hidden ?? [], head), refs[i].logits);
    assert.ok(diff < 1e-4, `${JSON.stringify(opts)}: logits vs hidden·Wᵀ differ by ${diff}`);
    // HF output_hidden_states: L + 1 entries, first the (Gemma: × √hidden) embeddings, last the normed output.
    const states = refs[i].hidden_states ?? [];
    assert.equal(states.length, cfg.num_hidden_layers + 1);
    assert.equal(maxAbsDiff(states[states.length - 1], refs[i].hidden ?? []), 0);
    const E = tensors["model.embed_tokens.weight"];
    const H = cfg.hidden_size;
    const scale = opts.arch === "gemma" ? Math.sqrt(H) : 1;
    const embedded = IDS.map((row) =>
      row.map((id) => Array.from(E.values.subarray(id * H, (id + 1) * H), (x) => x * scale)),
    );
    assert.ok(maxAbsDiff(states[0], embedded) < 1e-5, `${opts.arch}: embeddings × ${scale}`);
  });
  assert.ok(maxAbsDiff(refs[0].logits, refs[1].logits) > 1e-2, "tied and untied heads differ");
});

/** Mean cross-entropy of logits[:, t] against labels[:, t + 1] over labels != -100, recomputed here. */
function causalLmLoss(logits: number[][][], labels: number[][]): number {
  let total = 0;
  let count = 0;
  logits.forEach((row, b) => {
    for (let t = 0; t + 1 < row.length; t++) {
      const label = labels[b][t + 1];
      if (label === -100) continue;
      const max = Math.max(...row[t]);
      const logSum = Math.log(row[t].reduce((s, x) => s + Math.exp(x - max), 0)) + max;
      total += logSum - row[t][label];
      count++;
    }
  });
  return total / count;
}

function assertGradsMatchDifferences(ref: ReferenceOutput, picks: { name: string; index: number }[]): void {
  for (const p of picks) {
    const g = ref.grads?.[p.name].data[p.index] ?? Number.NaN;
    const fd = ref.fd?.[`${p.name}:${p.index}`] ?? Number.NaN;
    assert.ok(Math.abs(g) > 1e-5, `${p.name}[${p.index}]: the gradient must not vanish`);
    assert.ok(
      Math.abs(g - fd) <= 1e-6 * Math.abs(g),
      `${p.name}[${p.index}]: autograd ${g} vs differences ${fd}`,
    );
  }
}

test("grouped-query attention repeats each KV head for consecutive query heads (HF repeat_kv)", async () => {
  // Expanding K=2 KV heads into N=4 explicit heads (query head j reads KV head ⌊j / 2⌋) must not change logits.
  const dir = await makeTinyCheckpoint({ arch: "llama" });
  const cfg = json(dir, "config.json");
  const [N, K, H] = [cfg.num_attention_heads, cfg.num_key_value_heads, cfg.hidden_size];
  const D = H / N;
  const tensors = readSafetensors(path.join(dir, "model.safetensors")).tensors;
  const expanded: Record<string, { shape: number[]; values: ArrayLike<number> }> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (!/\.(k|v)_proj\.weight$/.test(name)) {
      expanded[name] = t;
      continue;
    }
    const values = new Float64Array(N * D * H);
    for (let j = 0; j < N; j++) {
      const src = Math.floor(j / (N / K));
      values.set(t.values.subarray(src * D * H, (src + 1) * D * H), j * D * H);
    }
    expanded[name] = { shape: [N * D, H], values };
  }
  const mha = await mkdtemp(path.join(os.tmpdir(), "tunebook-mha-"));
  await cp(dir, mha, { recursive: true });
  writeSafetensorsF32(path.join(mha, "model.safetensors"), expanded);
  await writeFile(path.join(mha, "config.json"), JSON.stringify({ ...cfg, num_key_value_heads: N }));
  const [gqa, full] = await torchReferences({ runs: [dir, mha].map((model) => ({ model, inputIds: IDS })) });
  await rm(mha, { recursive: true, force: true });
  assert.ok(
    maxAbsDiff(gqa.logits, full.logits) < 1e-5,
    `GQA vs expanded MHA: ${maxAbsDiff(gqa.logits, full.logits)}`,
  );
});

test("a LoRA adapter equals its merge W + scale·B·A, scale alpha/r or alpha/√r with rsLoRA (PEFT)", async () => {
  const lora = { r: 4, alpha: 8, targets: ["q_proj", "v_proj", "down_proj"] };
  const cases = [
    { rslora: false, scale: 8 / 4 },
    { rslora: true, scale: 8 / Math.sqrt(4) },
  ];
  const runs = [];
  const merged: string[] = [];
  for (const c of cases) {
    const dir = await makeTinyCheckpoint({ arch: "qwen2", lora: { ...lora, rslora: c.rslora } });
    const adapter = path.join(dir, "adapter");
    assert.equal(json(adapter, "adapter_config.json").use_rslora, c.rslora);
    const base = readSafetensors(path.join(dir, "model.safetensors")).tensors;
    const ab = readSafetensors(path.join(adapter, "adapter_model.safetensors")).tensors;
    const out: Record<string, { shape: number[]; values: ArrayLike<number> }> = { ...base };
    for (const [name, A] of Object.entries(ab)) {
      if (!name.endsWith(".lora_A.weight")) continue;
      const B = ab[name.replace("lora_A", "lora_B")];
      const target = name.replace("base_model.model.", "").replace(".lora_A.weight", ".weight");
      const [O, I] = base[target].shape;
      const values = Float64Array.from(base[target].values);
      for (let o = 0; o < O; o++)
        for (let i = 0; i < I; i++)
          for (let k = 0; k < lora.r; k++)
            values[o * I + i] += c.scale * B.values[o * lora.r + k] * A.values[k * I + i];
      out[target] = { shape: [O, I], values };
    }
    const mergedDir = await mkdtemp(path.join(os.tmpdir(), "tunebook-merged-"));
    await cp(dir, mergedDir, { recursive: true });
    writeSafetensorsF32(path.join(mergedDir, "model.safetensors"), out);
    merged.push(mergedDir);
    runs.push(
      { model: dir, adapter, inputIds: IDS },
      { model: mergedDir, inputIds: IDS },
      { model: dir, inputIds: IDS },
    );
  }
  const refs = await torchReferences({ runs });
  await Promise.all(merged.map((d) => rm(d, { recursive: true, force: true })));
  for (let c = 0; c < cases.length; c++) {
    const [withAdapter, withMerge, plain] = refs.slice(3 * c, 3 * c + 3);
    const diff = maxAbsDiff(withAdapter.logits, withMerge.logits);
    assert.ok(diff < 1e-4, `rslora=${cases[c].rslora}: adapter vs merged logits differ by ${diff}`);
    assert.ok(maxAbsDiff(withAdapter.logits, plain.logits) > 1e-2, "the adapter matters");
  }
});

test("LoRA and base-weight gradients match float64 central differences; the loss is HF's shifted CE", async () => {
  const dir = await makeTinyCheckpoint({
    arch: "qwen3",
    lora: { r: 4, alpha: 8, targets: ["q_proj", "v_proj"] },
  });
  const adapter = path.join(dir, "adapter");
  const cfg = json(adapter, "adapter_config.json");
  assert.equal(cfg.peft_type, "LORA");
  assert.deepEqual(cfg.target_modules, ["q_proj", "v_proj"]);
  const pre = "base_model.model.model.layers.";
  const loraPicks = [
    { name: `${pre}0.self_attn.q_proj.lora_A.weight`, index: 17 },
    { name: `${pre}1.self_attn.v_proj.lora_B.weight`, index: 5 },
    { name: `${pre}0.self_attn.v_proj.lora_B.weight`, index: 30 },
  ];
  const basePicks = [
    { name: "model.layers.0.self_attn.k_norm.weight", index: 3 },
    { name: "model.norm.weight", index: 10 },
    { name: "model.layers.1.mlp.down_proj.weight", index: 99 },
  ];
  const mask = [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1, 1, 1],
  ];
  const run = { model: dir, inputIds: IDS, attentionMask: mask, lossOnInputs: true, float64: true };
  const gradParams = [...new Set(basePicks.map((p) => p.name))];
  const [lora, base] = await torchReferences({
    runs: [
      { ...run, adapter, grads: true, finiteDifferences: loraPicks },
      { ...run, grads: true, gradParams, finiteDifferences: basePicks },
    ],
  });
  assert.equal(Object.keys(lora.grads ?? {}).length, 8, "A and B for q and v in 2 layers");
  assert.deepEqual(lora.grads?.[loraPicks[0].name].shape, [4, 64]);
  assert.deepEqual(Object.keys(base.grads ?? {}).sort(), gradParams.sort());
  assertGradsMatchDifferences(lora, loraPicks);
  assertGradsMatchDifferences(base, basePicks);
  assert.ok(maxAbsDiff(base.logits, lora.logits) > 1e-2, "B is non-zero, so the adapter matters");
  // lossOnInputs: labels = ids with -100 at padding, shifted by one as in HF's causal-LM loss.
  const labels = IDS.map((row, b) => row.map((id, t) => (mask[b][t] ? id : -100)));
  for (const r of [lora, base]) assert.ok(Math.abs(causalLmLoss(r.logits, labels) - (r.loss ?? 0)) < 1e-9);
});

test("greedy generation equals the argmax of the logits at each step, and stops at eos like HF", async () => {
  const dir = await makeTinyCheckpoint({ arch: "llama" });
  const inputIds = [
    [0, 0, 0, 40, 41, 42],
    [300, 5, 77, 120, 9, 13],
  ];
  const attentionMask = [
    [0, 0, 0, 1, 1, 1],
    [1, 1, 1, 1, 1, 1],
  ];
  const gen = await torchReference({ model: dir, inputIds, attentionMask, generate: 5 });
  const generated = gen.generated ?? [];
  assert.equal(generated.length, 2);
  // A copy whose generation_config names row 0's third token as eos (and 7 as pad).
  const eosDir = await mkdtemp(path.join(os.tmpdir(), "tunebook-eos-"));
  await cp(dir, eosDir, { recursive: true });
  const eos = generated[0][2];
  await writeFile(
    path.join(eosDir, "generation_config.json"),
    JSON.stringify({ eos_token_id: [eos], pad_token_id: 7 }),
  );
  const full = inputIds.map((row, b) => [...row, ...generated[b]]);
  const fullMask = attentionMask.map((row) => [...row, 1, 1, 1, 1, 1]);
  const [ref, stopped, unpadded] = await torchReferences({
    runs: [
      { model: dir, inputIds: full, attentionMask: fullMask, positions: "mask" },
      { model: eosDir, inputIds, attentionMask, generate: 5, stopAtEos: true },
      { model: dir, inputIds: [[40, 41, 42]], generate: 5 },
    ],
  });
  await rm(eosDir, { recursive: true, force: true });
  for (let b = 0; b < 2; b++) {
    for (let k = 0; k < 5; k++)
      assert.equal(argmax(ref.logits[b][5 + k]), generated[b][k], `row ${b} step ${k}`);
    assert.equal(argmax(gen.logits[b][5]), generated[b][0], "step 0 is the prompt's own argmax");
  }
  // Left padding is invisible: masked keys and mask-based positions reproduce the unpadded prompt.
  assert.deepEqual(unpadded.generated?.[0], generated[0]);
  // HF semantics: a finished row continues with pad; decoding ends once every row has finished.
  const expected = generated.map((row) => {
    const end = row.indexOf(eos);
    return end < 0 ? row : [...row.slice(0, end + 1), ...row.slice(end + 1).fill(7)];
  });
  const rowEnd = (row: number[]) => (row.indexOf(eos) < 0 ? row.length : row.indexOf(eos) + 1);
  const length = Math.max(...generated.map(rowEnd));
  assert.deepEqual(
    stopped.generated,
    expected.map((row) => row.slice(0, length)),
  );
});

test("RMSNorm and RoPE give hand-computed answers", async () => {
  const [norm, gemma, rope] = await torchOps({
    ops: [
      { op: "rms_norm", x: [[3, 4]], weight: [1, 2], eps: 0, gemma: false },
      { op: "rms_norm", x: [[3, 4]], weight: [0, 1], eps: 0, gemma: true },
      {
        op: "rope",
        x: [
          [1, 0, 0, 0],
          [1, 0, 0, 0],
          [0, 1, 0, 2],
        ],
        positions: [0, 1, 2],
        theta: 10000,
      },
    ],
  });
  const r = Math.sqrt(12.5); // rms of [3, 4]
  const close = (a: number[], b: number[]) =>
    assert.ok(a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-12), `${a} vs ${b}`);
  close(norm[0], [3 / r, 8 / r]);
  close(gemma[0], [3 / r, 8 / r]);
  // D = 4: frequencies 1 and 1/100; pairs (0, 2) and (1, 3) rotate by p and p/100.
  close(rope[0], [1, 0, 0, 0]);
  close(rope[1], [Math.cos(1), 0, Math.sin(1), 0]);
  const c = Math.cos(0.02);
  const s = Math.sin(0.02);
  close(rope[2], [0, c - 2 * s, 0, s + 2 * c]);
});

test("every family runs causally and carries its own tensors", async () => {
  const archs = ["llama", "mistral", "qwen2", "qwen3", "gemma"] as const;
  const changedLast = IDS.map((row) => [...row.slice(0, -1), (row.at(-1) ?? 0) + 1]);
  const dirs = await Promise.all(archs.map((arch) => makeTinyCheckpoint({ arch })));
  const inputIds = [...IDS, ...changedLast];
  const refs = await torchReferences({
    runs: dirs.map((model) => ({ model, inputIds, lossOnInputs: true })),
  });
  archs.forEach((arch, i) => {
    const cfg = json(dirs[i], "config.json");
    const t = readSafetensors(path.join(dirs[i], "model.safetensors")).tensors;
    assert.equal(cfg.model_type, arch);
    assert.equal("model.layers.0.self_attn.q_proj.bias" in t, arch === "qwen2");
    assert.equal("model.layers.0.self_attn.q_norm.weight" in t, arch === "qwen3");
    assert.equal("head_dim" in cfg, arch === "qwen3" || arch === "gemma");
    const { logits, loss } = refs[i];
    assert.ok(Number.isFinite(loss) && (loss ?? 0) > 0);
    const early = (rows: number[][][]) => rows.map((r) => r.slice(0, -1));
    // Equal up to float32 rounding (row-dependent kernel paths); a leak would move them by ≫ 1e-3.
    assert.ok(maxAbsDiff(early(logits.slice(0, 2)), early(logits.slice(2))) < 1e-5, `${arch}: future leaks`);
    assert.ok(maxAbsDiff([logits[0].slice(-1)], [logits[2].slice(-1)]) > 1e-3, `${arch}: last token matters`);
  });
  const distinct = new Set(refs.map((r) => r.loss));
  assert.equal(distinct.size, archs.length, "each family computes something different");
});

test("a Python without torch gives ReferenceUnavailableError; bad options give ConfigError", async (t) => {
  await assert.rejects(
    torchReference({ model: "/nonexistent", inputIds: [[1]], python: "/nonexistent/python3" }),
    (e: unknown) => e instanceof ReferenceUnavailableError && /no such interpreter/.test(e.message),
  );
  await assert.rejects(makeTinyCheckpoint({ arch: "gpt2" as "llama" }), ConfigError);
  await assert.rejects(torchReference({ model: "x", inputIds: [] as unknown as number[][] }), ConfigError);
  if (await torchAvailable("python3")) return t.skip("the python3 on PATH has torch");
  await assert.rejects(
    torchReference({ model: "/nonexistent", inputIds: [[1]], python: "python3" }),
    (e: unknown) => e instanceof ReferenceUnavailableError && /PyTorch is not importable/.test(e.message),
  );
});
