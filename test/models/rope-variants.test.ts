/**
 * RoPE variants (`rope_scaling` and `partial_rotary_factor`): inverse frequencies and attention scaling equal an
 * independent Python transcription of transformers' formulas (test/reference/rope_reference.py), tiny Llama
 * checkpoints with `llama3`, `linear`, `yarn`, partial rotary, `longrope` and `dynamic` give the PyTorch
 * reference's logits to ≤ 1e-4 (the last two on both sides of their length threshold),
 * and variants tunebook does not implement are refused at load with the field, the value and the supported ones.
 * B batch, T sequence, V vocab.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Backbone } from "../../sdk/models";
import { normalizeConfig } from "../../sdk/models/arch";
import { ropeParameters, SUPPORTED_ROPE_TYPES } from "../../sdk/models/arch/rope";
import { makeTinyCheckpoint } from "../reference";
import { DEFAULT_PYTHON, runReferenceScript } from "../reference/run-script";
import { torchReferences } from "../reference/torch-reference";
import { maxAbsError } from "./compare";

const LLAMA3 = {
  rope_type: "llama3",
  factor: 8,
  low_freq_factor: 1,
  high_freq_factor: 4,
  original_max_position_embeddings: 8192,
};

/** Configs covering every branch of every implemented variant. */
const CASES: { label: string; headDim: number; config: Record<string, unknown> }[] = [
  { label: "default (no rope_scaling)", headDim: 64, config: { rope_theta: 10000 } },
  {
    label: "default (explicit)",
    headDim: 16,
    config: { rope_theta: 1e6, rope_scaling: { rope_type: "default" } },
  },
  {
    label: "linear",
    headDim: 32,
    config: { rope_theta: 10000, rope_scaling: { rope_type: "linear", factor: 4 } },
  },
  {
    label: "linear, legacy type key",
    headDim: 16,
    config: { rope_theta: 10000, rope_scaling: { type: "linear", factor: 2.5 } },
  },
  { label: "llama3 (Llama 3.1 8B)", headDim: 128, config: { rope_theta: 500000, rope_scaling: LLAMA3 } },
  {
    label: "llama3 (Llama 3.2 1B, head 64)",
    headDim: 64,
    config: { rope_theta: 500000, rope_scaling: { ...LLAMA3, factor: 32 } },
  },
  { label: "llama3, small theta", headDim: 16, config: { rope_theta: 10000, rope_scaling: LLAMA3 } },
  {
    label: "partial_rotary_factor 0.5",
    headDim: 32,
    config: { rope_theta: 10000, partial_rotary_factor: 0.5 },
  },
  {
    label: "partial 0.75 + linear",
    headDim: 32,
    config: { rope_theta: 10000, partial_rotary_factor: 0.75, rope_scaling: { type: "linear", factor: 2 } },
  },
  {
    label: "dynamic (frequencies up to max_position_embeddings)",
    headDim: 32,
    config: {
      rope_theta: 10000,
      max_position_embeddings: 2048,
      rope_scaling: { type: "dynamic", factor: 2 },
    },
  },
  {
    label: "yarn (Qwen2.5 long context)",
    headDim: 128,
    config: {
      rope_theta: 1e6,
      max_position_embeddings: 32768,
      rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32768 },
    },
  },
  {
    label: "yarn, no original length",
    headDim: 64,
    config: { rope_theta: 10000, max_position_embeddings: 4096, rope_scaling: { type: "yarn", factor: 8 } },
  },
  {
    label: "yarn, max_position_embeddings raised (factor from the ratio)",
    headDim: 64,
    config: {
      rope_theta: 10000,
      max_position_embeddings: 16384,
      rope_scaling: { rope_type: "yarn", factor: 2, original_max_position_embeddings: 4096 },
    },
  },
  {
    label: "yarn, mscale / mscale_all_dim, betas, no truncation",
    headDim: 64,
    config: {
      rope_theta: 10000,
      max_position_embeddings: 8192,
      rope_scaling: {
        rope_type: "yarn",
        factor: 40,
        mscale: 1,
        mscale_all_dim: 0.8,
        beta_fast: 16,
        beta_slow: 2,
        truncate: false,
      },
    },
  },
  {
    label: "yarn, explicit attention_factor",
    headDim: 32,
    config: {
      rope_theta: 10000,
      max_position_embeddings: 2048,
      rope_scaling: { rope_type: "yarn", factor: 4, attention_factor: 0.9 },
    },
  },
];

const ramp = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
/** LongRoPE configs as Phi-3.5/Phi-4-mini write them (top-level original_max_position_embeddings). */
const LONGROPE: {
  label: string;
  headDim: number;
  config: Record<string, unknown> & {
    original_max_position_embeddings?: number;
    max_position_embeddings: number;
  };
}[] = [
  {
    label: "longrope (Phi-3.5-mini shape)",
    headDim: 96,
    config: {
      rope_theta: 10000,
      max_position_embeddings: 131072,
      original_max_position_embeddings: 4096,
      rope_scaling: { type: "longrope", short_factor: ramp(48, 1, 1.2), long_factor: ramp(48, 1, 40) },
    },
  },
  {
    label: "longrope, partial rotary 0.75 (Phi-4-mini shape), explicit attention_factor",
    headDim: 128,
    config: {
      rope_theta: 10000,
      partial_rotary_factor: 0.75,
      max_position_embeddings: 131072,
      original_max_position_embeddings: 4096,
      rope_scaling: {
        rope_type: "longrope",
        short_factor: ramp(48, 1, 2),
        long_factor: ramp(48, 1, 50),
        attention_factor: 1.1,
      },
    },
  },
  {
    label: "longrope without original_max_position_embeddings (factor from rope_scaling)",
    headDim: 16,
    config: {
      rope_theta: 10000,
      max_position_embeddings: 4096,
      rope_scaling: {
        rope_type: "longrope",
        factor: 8,
        short_factor: ramp(8, 1, 3),
        long_factor: ramp(8, 2, 9),
      },
    },
  },
];

const dirs: string[] = [];
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test("inverse frequencies and attention scaling equal transformers' formulas for every variant", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tunebook-rope-"));
  dirs.push(dir);
  const file = path.join(dir, "cases.json");
  await writeFile(file, JSON.stringify(CASES.map((c) => ({ config: c.config, head_dim: c.headDim }))));
  const expected: { inv_freq: number[]; scaling: number; dim: number }[] = JSON.parse(
    await runReferenceScript(DEFAULT_PYTHON, "rope_reference.py", [file]),
  );
  let worst = 0;
  for (const [i, c] of CASES.entries()) {
    const got = ropeParameters(c.config as never, c.headDim, "test");
    const want = expected[i];
    assert.equal(got.rotaryDim, want.dim, c.label);
    assert.equal(got.invFreq.length, want.inv_freq.length, c.label);
    got.invFreq.forEach((f, k) => {
      const rel = Math.abs(f - want.inv_freq[k]) / want.inv_freq[k];
      worst = Math.max(worst, rel);
      assert.ok(rel < 1e-12, `${c.label}: inv_freq[${k}] ${f} vs ${want.inv_freq[k]}`);
    });
    assert.ok(
      Math.abs(got.attentionScaling - want.scaling) < 1e-12,
      `${c.label}: scaling ${got.attentionScaling} vs ${want.scaling}`,
    );
  }
  // LongRoPE: short factors up to original_max_position_embeddings, long ones beyond (the reference at seq_len).
  const longCases = LONGROPE.flatMap((c) => [
    { config: c.config, head_dim: c.headDim },
    {
      config: c.config,
      head_dim: c.headDim,
      seq_len: (c.config.original_max_position_embeddings ?? c.config.max_position_embeddings) + 1,
    },
  ]);
  await writeFile(file, JSON.stringify(longCases));
  const longExpected: { inv_freq: number[]; scaling: number; dim: number }[] = JSON.parse(
    await runReferenceScript(DEFAULT_PYTHON, "rope_reference.py", [file]),
  );
  for (const [i, c] of LONGROPE.entries()) {
    const got = ropeParameters(c.config as never, c.headDim, "test");
    const [short, long] = [longExpected[2 * i], longExpected[2 * i + 1]];
    assert.ok(got.long, c.label);
    assert.equal(
      got.long.fromPosition,
      (c.config.original_max_position_embeddings ?? c.config.max_position_embeddings) as number,
    );
    for (const [ours, want] of [
      [got.invFreq, short.inv_freq],
      [got.long.invFreq, long.inv_freq],
    ] as const) {
      assert.equal(ours.length, want.length, c.label);
      ours.forEach((f, k) => {
        const rel = Math.abs(f - want[k]) / want[k];
        worst = Math.max(worst, rel);
        assert.ok(rel < 1e-12, `${c.label}: inv_freq[${k}] ${f} vs ${want[k]}`);
      });
    }
    assert.ok(
      Math.abs(got.attentionScaling - short.scaling) < 1e-12,
      `${c.label}: scaling ${got.attentionScaling} vs ${short.scaling}`,
    );
    assert.equal(short.scaling, long.scaling);
  }
  // The variants really change something: llama3 keeps high frequencies, divides low ones by 8, smooths between.
  const l3 = ropeParameters(CASES[4].config as never, 128, "test").invFreq;
  const plain = ropeParameters({ rope_theta: 500000 }, 128, "test").invFreq;
  assert.equal(l3[0], plain[0]);
  assert.ok(Math.abs(l3[63] * 8 - plain[63]) < 1e-18);
  assert.ok(
    l3.some((f, k) => f < plain[k] && f > plain[k] / 8),
    "some frequencies are smoothed",
  );
  console.log(`# rope variants: max relative inv_freq error ${worst.toExponential(2)}`);
});

/** A tiny Llama checkpoint copied to a fresh folder with `config.json` fields replaced. */
async function tinyLlamaWith(fields: Record<string, unknown>): Promise<string> {
  const source = await makeTinyCheckpoint({ arch: "llama", seed: 7 });
  const dir = await mkdtemp(path.join(os.tmpdir(), "tunebook-rope-llama-"));
  dirs.push(dir);
  await cp(source, dir, { recursive: true });
  const file = path.join(dir, "config.json");
  const config = JSON.parse(await readFile(file, "utf8"));
  await writeFile(file, JSON.stringify({ ...config, ...fields }, null, 2));
  return dir;
}

// Long enough that the scaled low frequencies turn by a visible angle (positions up to T − 1 = 63).
const T = 64;
const IDS = [
  Array.from({ length: T }, (_, t) => (t * 37 + 11) % 500),
  Array.from({ length: T }, (_, t) => (t * 101 + 3) % 500),
];
const MASK = [Array(T).fill(1), [...Array(T - 9).fill(1), ...Array(9).fill(0)]];

test("tiny Llama checkpoints with llama3, linear, yarn and partial rotary RoPE match the PyTorch reference", async () => {
  const variants: { label: string; fields: Record<string, unknown> }[] = [
    { label: "plain", fields: { rope_theta: 500000 } },
    { label: "llama3", fields: { rope_theta: 500000, rope_scaling: LLAMA3 } },
    { label: "linear", fields: { rope_scaling: { type: "linear", factor: 4 } } },
    {
      label: "yarn",
      fields: {
        max_position_embeddings: 128,
        rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32 },
      },
    },
    { label: "partial_rotary_factor 0.5", fields: { partial_rotary_factor: 0.5 } },
  ];
  const models = await Promise.all(variants.map((v) => tinyLlamaWith(v.fields)));
  const refs = await torchReferences({
    runs: models.map((model) => ({ model, inputIds: IDS, attentionMask: MASK })),
  });
  const unscaled = await torchReferences({
    runs: [await tinyLlamaWith({}), await tinyLlamaWith({ rope_theta: 500000 })].map((model) => ({
      model,
      inputIds: IDS,
      attentionMask: MASK,
    })),
  });
  const report: string[] = [];
  for (const [i, v] of variants.entries()) {
    const backbone = await Backbone.load(models[i], { tokenizer: false });
    backbones.push(backbone);
    const { data } = await backbone.logits(IDS, MASK);
    const err = maxAbsError(data, refs[i].logits, MASK);
    // The comparison can fail: the variant's reference differs from the same weights without it by far more.
    const base = v.label === "llama3" || v.label === "plain" ? unscaled[1] : unscaled[0];
    const flat = Float32Array.from(refs[i].logits.flat(2));
    const effect = maxAbsError(flat, base.logits, MASK);
    report.push(
      `${v.label}: max abs error ${err.toExponential(2)}, variant effect ${effect.toExponential(2)}`,
    );
    assert.ok(err <= 1e-4, `${v.label}: max abs error ${err.toExponential(2)} > 1e-4`);
    if (v.label !== "plain")
      assert.ok(effect > 1e-2, `${v.label}: the variant changes logits by only ${effect}`);
  }
  console.log(`# ${report.join("; ")}`);
});

/** One length's comparison: our error against PyTorch, and how far the variant moves PyTorch's logits. */
interface LengthResult {
  T: number;
  error: number;
  effect: number;
  reference: number[][][];
}

/**
 * Runs `model` (a length-dependent RoPE variant) and `plain` (the same weights without it) at each length, in
 * PyTorch and in ours; asserts ours matches PyTorch to 1e-4 at every length.
 */
async function compareAtLengths(
  model: string,
  plain: string,
  lengths: readonly number[],
  mask: (n: number) => number[][],
): Promise<LengthResult[]> {
  const batches = lengths.map((n) => ({ ids: IDS.map((r) => r.slice(0, n)), mask: mask(n) }));
  const refs = await torchReferences({
    runs: batches.map((b) => ({ model, inputIds: b.ids, attentionMask: b.mask })),
  });
  const base = await torchReferences({
    runs: batches.map((b) => ({ model: plain, inputIds: b.ids, attentionMask: b.mask })),
  });
  const backbone = await Backbone.load(model, { tokenizer: false });
  backbones.push(backbone);
  const results: LengthResult[] = [];
  for (const [i, b] of batches.entries()) {
    const { data } = await backbone.logits(b.ids, b.mask);
    const error = maxAbsError(data, refs[i].logits, b.mask);
    const effect = maxAbsError(Float32Array.from(refs[i].logits.flat(2)), base[i].logits, b.mask);
    assert.ok(error <= 1e-4, `T=${lengths[i]}: max abs error ${error.toExponential(2)} > 1e-4`);
    results.push({ T: lengths[i], error, effect, reference: refs[i].logits });
  }
  return results;
}

const report = (results: LengthResult[]) =>
  results
    .map((r) => `T=${r.T}: max abs error ${r.error.toExponential(2)}, effect ${r.effect.toExponential(2)}`)
    .join("; ");

test("a tiny LongRoPE Llama switches from short to long factors past original_max_position_embeddings, as PyTorch", async () => {
  const model = await tinyLlamaWith({
    max_position_embeddings: 128,
    original_max_position_embeddings: 32,
    rope_scaling: { type: "longrope", short_factor: ramp(8, 1, 1.5), long_factor: ramp(8, 1, 6) },
  });
  // Positions up to 31 use the short factors, 32 and beyond the long ones (HF: max(position_ids) + 1 > 32).
  const ones = (n: number) => [Array(n).fill(1), Array(n).fill(1)];
  const results = await compareAtLengths(model, await tinyLlamaWith({}), [32, 33, 64], ones);
  for (const r of results) assert.ok(r.effect > 1e-2, `T=${r.T}: longrope changed nothing`);
  // The switch is real: the first 32 positions' logits differ between the T=32 (short) and T=33 (long) runs.
  const firstRows = (l: number[][][], n: number) => l.map((row) => row.slice(0, n));
  const shortVsLong = maxAbsError(
    Float32Array.from(firstRows(results[1].reference, 32).flat(2)),
    firstRows(results[0].reference, 32),
    ones(32),
  );
  assert.ok(shortVsLong > 1e-2, `short and long factors give the same logits (${shortVsLong})`);
  console.log(`# longrope: ${report(results)}; short vs long ${shortVsLong.toExponential(2)}`);
});

test("a tiny dynamic-NTK Llama rescales its base past max_position_embeddings, as PyTorch", async () => {
  const model = await tinyLlamaWith({
    max_position_embeddings: 32,
    rope_scaling: { type: "dynamic", factor: 4 },
  });
  const plain = await tinyLlamaWith({ max_position_embeddings: 32 });
  const results = await compareAtLengths(model, plain, [32, 33, 64], (n) => MASK.map((r) => r.slice(0, n)));
  // Up to max_position_embeddings the frequencies are the default ones; beyond, they change.
  assert.equal(results[0].effect, 0);
  for (const r of results.slice(1)) assert.ok(r.effect > 1e-2, `T=${r.T}: dynamic NTK changed nothing`);
  console.log(`# dynamic: ${report(results)}`);
});

test("unknown, unimplemented or incomplete rope_scaling fails at load with the field, the value and the supported types", () => {
  const raw = {
    model_type: "llama",
    vocab_size: 16,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
  };
  const supported = SUPPORTED_ROPE_TYPES.map((t) => `"${t}"`).join(", ");
  const cases: { scaling: Record<string, unknown>; field: RegExp; text: RegExp }[] = [
    {
      scaling: { rope_type: "su", factor: 2 },
      field: /rope_scaling\.rope_type/,
      text: /unknown rope_type "su"/,
    },
    {
      scaling: { type: "ntk-by-parts", factor: 2 },
      field: /rope_scaling\.type/,
      text: /unknown rope_type "ntk-by-parts"/,
    },
    {
      scaling: { rope_type: "dynamic", factor: 2 },
      field: /max_position_embeddings/,
      text: /"dynamic" requires max_position_embeddings; it is missing/,
    },
    {
      scaling: { type: "longrope", short_factor: [1, 1], long_factor: [2] },
      field: /rope_scaling\.long_factor/,
      text: /requires long_factor, a list of 2 positive numbers \(rotated dims \/ 2\); got a list of 1/,
    },
    {
      scaling: { rope_type: "longrope", long_factor: [1, 1] },
      field: /rope_scaling\.short_factor/,
      text: /requires short_factor, .* got undefined/,
    },
    {
      scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4 },
      field: /rope_scaling\.original_max_position_embeddings/,
      text: /requires original_max_position_embeddings/,
    },
    { scaling: { rope_type: "linear" }, field: /rope_scaling\.factor/, text: /requires factor/ },
    {
      scaling: { rope_type: "yarn", factor: 4 },
      field: /rope_scaling\.original_max_position_embeddings/,
      text: /or max_position_embeddings; both are missing/,
    },
    {
      scaling: { rope_type: "linear", factor: "4" },
      field: /rope_scaling\.factor/,
      text: /expected a positive number .* got "4"/,
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => normalizeConfig({ ...raw, rope_scaling: c.scaling }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, /config\.json \(model_type llama\)/);
        assert.match(e.message, c.field);
        assert.match(e.message, c.text);
        if (/unknown|not supported/.test(c.text.source))
          assert.ok(e.message.includes(`supported: ${supported}`), e.message);
        return true;
      },
      JSON.stringify(c.scaling),
    );
  }
  assert.throws(
    () => normalizeConfig({ ...raw, partial_rotary_factor: 1.5 }),
    /partial_rotary_factor: expected a number in \(0, 1\], got 1\.5/,
  );
});
