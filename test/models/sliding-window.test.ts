/**
 * Sliding-window attention and the Gemma 2 / Gemma 3 families against the independent PyTorch reference: tiny
 * checkpoints with a window of 8 and sequences of 24 (gemma2 with biting soft-caps, gemma3_text with a scaled
 * global RoPE and a final soft-cap, the gemma3 image-text layout, Mistral, Qwen2 with `max_window_layers`) give
 * the reference's logits to ≤ 1e-5, and the window really changes them (the same checkpoint with a window
 * longer than the sequence differs); KV-cache decode steps past the window give the full forward's logits. A LoRA run on gemma2 and gemma3_text lowers the loss. Config errors name
 * the field. B batch, T sequence, V vocabulary.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import {
  Backbone,
  cachedSession,
  contextLengthOf,
  decodeStep,
  ExportError,
  emptyCache,
  exportMergedModel,
  saveLoraAdapter,
} from "../../sdk/models";
import { normalizeConfig } from "../../sdk/models/arch";
import { Experiment, LoRAConfig, type StepEvent } from "../../sdk/train";
import { makeTinyCheckpoint, readSafetensors, type TinyCheckpointOptions } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { arithmeticDataset, experimentsRoot } from "../train/fixtures";
import { maxAbsError } from "./compare";

const W = 8;
const T = 24;
const IDS = [
  Array.from({ length: T }, (_, t) => (t * 37 + 11) % 500),
  Array.from({ length: T }, (_, t) => (t * 101 + 3) % 500),
];
const MASK = [Array(T).fill(1), [...Array(T - 5).fill(1), ...Array(5).fill(0)]];

const dirs: string[] = [];
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A tiny checkpoint copied to a fresh folder with `config.json` fields (or `text_config` fields) replaced. */
async function tinyWith(options: TinyCheckpointOptions, fields: Record<string, unknown>): Promise<string> {
  const source = await makeTinyCheckpoint(options);
  const dir = await mkdtemp(path.join(os.tmpdir(), `tunebook-swa-${options.arch}-`));
  dirs.push(dir);
  await cp(source, dir, { recursive: true });
  const file = path.join(dir, "config.json");
  const config = JSON.parse(await readFile(file, "utf8"));
  const patched = config.text_config
    ? { ...config, text_config: { ...config.text_config, ...fields } }
    : { ...config, ...fields };
  await writeFile(file, JSON.stringify(patched, null, 2));
  return dir;
}

const CASES: { label: string; options: TinyCheckpointOptions; fields: Record<string, unknown> }[] = [
  {
    label: "gemma2 (soft-caps 2 and 3)",
    options: { arch: "gemma2", seed: 21, layers: 3, slidingWindow: W },
    fields: { attn_logit_softcapping: 2, final_logit_softcapping: 3 },
  },
  {
    label: "gemma3_text (linear RoPE ×2 on global layers, final cap 4)",
    options: { arch: "gemma3_text", seed: 22, layers: 3, slidingWindow: W },
    fields: { rope_scaling: { rope_type: "linear", factor: 2 }, final_logit_softcapping: 4 },
  },
  {
    label: "gemma3 image-text layout (text tower)",
    options: { arch: "gemma3", seed: 23, layers: 3, slidingWindow: W },
    fields: {},
  },
  {
    label: "gemma3_text with layer_types",
    options: { arch: "gemma3_text", seed: 24, layers: 3, slidingWindow: W },
    fields: { layer_types: ["full_attention", "sliding_attention", "sliding_attention"] },
  },
  { label: "mistral", options: { arch: "mistral", seed: 25, slidingWindow: W }, fields: {} },
  {
    label: "qwen2 (sliding from layer 1)",
    options: { arch: "qwen2", seed: 26, layers: 2, slidingWindow: W, maxWindowLayers: 1 },
    fields: {},
  },
];

test("sliding-window families match the PyTorch reference beyond the window", async () => {
  const models = await Promise.all(CASES.map((c) => tinyWith(c.options, c.fields)));
  const wide = await Promise.all(
    CASES.map((c) => tinyWith(c.options, { ...c.fields, sliding_window: 4096 })),
  );
  const refs = await torchReferences({
    runs: [...models, ...wide].map((model) => ({ model, inputIds: IDS, attentionMask: MASK })),
  });
  const report: string[] = [];
  for (const [i, c] of CASES.entries()) {
    const backbone = await Backbone.load(models[i], { tokenizer: false });
    backbones.push(backbone);
    const { data } = await backbone.logits(IDS, MASK);
    const err = maxAbsError(data, refs[i].logits, MASK);
    const effect = maxAbsError(
      Float32Array.from(refs[i].logits.flat(2)),
      refs[CASES.length + i].logits,
      MASK,
    );
    report.push(`${c.label}: error ${err.toExponential(2)}, window effect ${effect.toExponential(2)}`);
    assert.ok(err <= 1e-5, `${c.label}: max abs error ${err.toExponential(2)} > 1e-5`);
    assert.ok(effect > 1e-2, `${c.label}: the window changes logits by only ${effect}`);
    await backbone.dispose();
  }
  console.log(`# ${report.join("; ")}`);
});

test("KV-cache steps past the window give the full forward's logits (teacher forcing)", async () => {
  // A left-padded row and a full one: prefill 6 positions, then one token per step up to T = 24 (window 8).
  const ids = [[...Array(3).fill(0), ...IDS[0].slice(3)], IDS[1]];
  const mask = [[...Array(3).fill(0), ...Array(T - 3).fill(1)], Array(T).fill(1)];
  const positions = mask.map((m) => {
    let seen = 0;
    return m.map((v) => (v ? seen++ : 1));
  });
  const report: string[] = [];
  for (const c of [CASES[0], CASES[1], CASES[5]]) {
    const backbone = await Backbone.load(await tinyWith(c.options, c.fields), { tokenizer: false });
    backbones.push(backbone);
    const full = await backbone.logits(ids, mask, positions);
    const V = full.dims[2];
    const session = await cachedSession(backbone);
    let cache = emptyCache(backbone, 2);
    let worst = 0;
    for (let end = 6; end <= T; end++) {
      const start = end === 6 ? 0 : end - 1;
      const step = await decodeStep(session, {
        ids: ids.map((r) => r.slice(start, end)),
        mask: mask.map((r) => r.slice(0, end)),
        positions: positions.map((r) => r.slice(start, end)),
        cache,
      });
      cache = step.cache;
      for (let b = 0; b < 2; b++) {
        for (let v = 0; v < V; v++) {
          const want = full.data[(b * T + end - 1) * V + v];
          worst = Math.max(worst, Math.abs(step.lastLogits[b * V + v] - want));
        }
      }
    }
    report.push(`${c.label}: ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-4, `${c.label}: cached vs full logits differ by ${worst}`);
    await backbone.dispose();
  }
  console.log(`# cache vs full forward, max abs error: ${report.join("; ")}`);
});

test("a gemma3 image-text checkpoint: merged LoRA export keeps its layout and reloads equal; adapter names", async () => {
  const base = await makeTinyCheckpoint({ arch: "gemma3", seed: 41, layers: 3, slidingWindow: W });
  const lora = await Backbone.load(base, {
    lora: { r: 2, alpha: 4, targetModules: ["q_proj", "down_proj"], seed: 5 },
  });
  backbones.push(lora);
  assert.equal(contextLengthOf(lora), 2048, "max_position_embeddings from text_config");
  const trained = new Map<string, Float32Array>();
  for (const [name, v] of lora.lora?.tensors() ?? []) {
    trained.set(
      name,
      Float32Array.from(v, (x, i) => x + 0.3 * Math.cos(i)),
    );
  }
  await lora.updateParameters(trained);
  const root = await mkdtemp(path.join(os.tmpdir(), "tunebook-gemma3-export-"));
  dirs.push(root);
  const out = await exportMergedModel({ backbone: lora, dir: path.join(root, "merged") });
  assert.equal(out.mergedModules.length, 2 * 3);
  const names = (dir: string) =>
    Object.keys(readSafetensors(path.join(dir, "model.safetensors")).tensors).sort();
  assert.deepEqual(names(out.dir), names(base), "the exported tensors keep the image-text names");
  assert.ok(names(out.dir).includes("language_model.model.layers.0.self_attn.q_proj.weight"));
  const merged = await Backbone.load(out.dir);
  backbones.push(merged);
  const want = await lora.logits(IDS, MASK);
  const got = await merged.logits(IDS, MASK);
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(want.data[i] - got.data[i]));
  assert.ok(worst <= 1e-5, `merged vs LoRA logits differ by ${worst}`);
  // PEFT names of transformers' Gemma3ForCausalLM (the text tower loaded on its own).
  const adapter = await saveLoraAdapter({ dir: path.join(root, "adapter"), backbone: lora });
  const adapterNames = Object.keys(readSafetensors(path.join(adapter, "adapter_model.safetensors")).tensors);
  assert.ok(adapterNames.includes("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
  // A LoRA on the tied head cannot be merged into this layout: refused with the reason.
  const headLora = await Backbone.load(base, { lora: { r: 2, alpha: 4, targetModules: ["lm_head"] } });
  backbones.push(headLora);
  await assert.rejects(
    exportMergedModel({ backbone: headLora, dir: path.join(root, "head") }),
    (e: unknown) => e instanceof ExportError && /tied LM head of a gemma3 checkpoint/.test(e.message),
  );
  console.log(`# gemma3 image-text merged export: max abs logits error ${worst.toExponential(2)}`);
});

test("gemma2 and gemma3_text normalise as transformers reads them", () => {
  const shape = {
    vocab_size: 16,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 6,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 4,
  };
  const g2 = normalizeConfig({ ...shape, model_type: "gemma2", query_pre_attn_scalar: 16 });
  assert.deepEqual(g2.slidingWindow, { size: 4096, layers: [true, false, true, false, true, false] });
  assert.equal(g2.attentionScale, 0.25);
  assert.equal(g2.attnLogitSoftcap, 50);
  assert.equal(g2.finalLogitSoftcap, 30);
  assert.equal(g2.tieWordEmbeddings, true);
  const g3 = normalizeConfig({
    ...shape,
    model_type: "gemma3_text",
    sliding_window: 512,
    sliding_window_pattern: 3,
  });
  assert.deepEqual(g3.slidingWindow?.layers, [true, true, false, true, true, false]);
  assert.equal(g3.attnLogitSoftcap, undefined);
  assert.equal(g3.rope.invFreq[1], 1 / 1e6 ** 0.5);
  assert.equal(g3.slidingRope?.invFreq[1], 1 / 1e4 ** 0.5);
  assert.equal(g3.qkNorm, true);
  // transformers v5's per-layer-type rope_parameters
  const v5 = normalizeConfig({
    ...shape,
    model_type: "gemma3_text",
    rope_parameters: {
      full_attention: { rope_type: "linear", factor: 8, rope_theta: 1e6 },
      sliding_attention: { rope_type: "default", rope_theta: 1e4 },
    },
  });
  assert.equal(v5.rope.invFreq[1], 1 / 1e6 ** 0.5 / 8);
  assert.equal(v5.slidingRope?.invFreq[1], 1 / 1e4 ** 0.5);
  // A sparse gemma3 text_config (as Gemma 3 4B ships it) takes Gemma3TextConfig's defaults.
  const g3mm = normalizeConfig({
    model_type: "gemma3",
    text_config: { hidden_size: 2560, intermediate_size: 10240, num_hidden_layers: 34, sliding_window: 1024 },
  });
  assert.equal(g3mm.vocabSize, 262208);
  assert.equal(g3mm.numHeads, 8);
  assert.equal(g3mm.headDim, 256);
  assert.equal(g3mm.slidingWindow?.layers.filter((s) => !s).length, 5);
  // Qwen2 configs as published turn the window off.
  const q = normalizeConfig({
    ...shape,
    model_type: "qwen2",
    use_sliding_window: false,
    sliding_window: 4096,
    max_window_layers: 2,
  });
  assert.equal(q.slidingWindow, undefined);
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { model_type: "gemma2", query_pre_attn_scalar: "256" },
      /query_pre_attn_scalar: expected a positive number/,
    ],
    [
      { model_type: "mistral", sliding_window: 0 },
      /sliding_window: expected a positive integer or null, got 0/,
    ],
    [
      { model_type: "gemma2", layer_types: ["sliding_attention"] },
      /layer_types: expected a list of 6 entries/,
    ],
    [
      { model_type: "gemma3_text", layer_types: Array(6).fill("chunked_attention") },
      /layer 0: unknown layer type "chunked_attention"; supported: full_attention, sliding_attention/,
    ],
    [{ model_type: "gemma3_text", use_bidirectional_attention: true }, /use_bidirectional_attention/],
    [{ model_type: "gemma3" }, /text_config/],
  ];
  for (const [fields, message] of cases) {
    assert.throws(
      () => normalizeConfig({ ...shape, ...fields }),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(fields),
    );
  }
});

test("LoRA training lowers the loss on gemma2 and gemma3_text", async () => {
  for (const arch of ["gemma2", "gemma3_text"] as const) {
    const model = await makeTinyCheckpoint({ arch, seed: 31, slidingWindow: 4 });
    const run = await Experiment.create({ name: arch, root: experimentsRoot() })
      .backbone(model)
      .dataset(arithmeticDataset(16))
      .lora(
        new LoRAConfig({
          r: 4,
          alpha: 8,
          dropout: 0,
          targetModules: ["q_proj", "v_proj", "o_proj", "down_proj"],
        }),
      )
      .train({ epochs: 3, batchSize: 4, learningRate: 1e-2, evaluationEpochs: 3 })
      .environment({ seed: 5, threads: 1 })
      .logging({ logEveryNSteps: 1 })
      .fit({ display: false });
    await run.backbone.dispose();
    assert.equal(run.status, "completed", run.error?.message);
    const losses = run.history.filter((r) => r.type === "step").map((r) => (r as StepEvent).loss);
    assert.ok(losses.at(-1)! < losses[0] * 0.8, `${arch}: loss should fall: ${losses[0]} → ${losses.at(-1)}`);
    console.log(`# ${arch} LoRA: loss ${losses[0].toFixed(3)} → ${losses.at(-1)?.toFixed(3)}`);
  }
});
