/**
 * A quantized frozen base (`dtype` int8/int4): logits close to the float32 model's (stated tolerance per
 * dtype, on the trained tiny Llama in assets/), LoRA gradients equal to central differences of that same
 * quantized model, the on-disk cache (reused; rebuilt with a note when corrupt, from another version, or when
 * its source file changed), and
 * clear errors for a dtype the device cannot run. Dimension letters: B batch, T time, V vocabulary.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { compile, crossEntropy, grad, reshape, type Tensor, tensorValue } from "../../sdk/engine";
import { Backbone, buildDecoderGraph, QUANT_CACHE_VERSION, WeightSource } from "../../sdk/models";
import { BATCH } from "./compare";

const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
});

/** A private copy of the trained tiny Llama (the cache is written beside the model). */
function tinyCopy(): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "tunebook-quant-")), "tiny");
  cpSync(path.resolve("assets/tiny-llama"), dir, { recursive: true });
  return dir;
}

async function load(dir: string, options: Parameters<typeof Backbone.load>[1] = {}): Promise<Backbone> {
  const b = await Backbone.load(dir, { tokenizer: false, ...options });
  backbones.push(b);
  return b;
}

const IDS = [[5, 17, 300, 42, 7, 99, 12, 250, 3, 81, 64, 500]];

/** Relative RMS difference of two logit arrays. */
function relRms(a: Float32Array, ref: Float32Array): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - ref[i]) ** 2;
    r += ref[i] ** 2;
  }
  return Math.sqrt(d / r);
}

test("quantized logits stay within each dtype's tolerance of the float32 model's", async () => {
  const dir = tinyCopy();
  const ref = (await (await load(dir)).logits(IDS)).data;
  // Measured: int8 1.5% (weights per row, activations int8 per block), int4 8.8% (blocks of 32, scale searched).
  for (const [dtype, tol] of [
    ["int8", 0.03],
    ["int4", 0.15],
  ] as const) {
    const b = await load(dir, { dtype });
    const got = (await b.logits(IDS)).data;
    const err = relRms(got, ref);
    assert.ok(err > 0 && err < tol, `${dtype}: relative RMS error ${err} (tolerance ${tol})`);
    // The forward-only model reads the MatMulNBits copy only, not the backward's int8 copy.
    const model = readFileSync(path.join(b.folder, "forward.onnx"));
    assert.ok(model.includes("MatMulNBits") && !model.includes("rows_int8"), dtype);
  }
  for (const dtype of ["bfloat16", "float16"] as const) {
    const got = (await (await load(dir, { dtype })).logits(IDS)).data;
    assert.deepEqual(got, ref, `${dtype} computes in float32 on the CPU provider`);
  }
});

test("greedy generation on a quantized base follows that base's own logits", async () => {
  const dir = tinyCopy();
  const b = await Backbone.load(dir, { dtype: "int4" });
  backbones.push(b);
  const [r] = await b.generate({ inputIds: IDS, maxNewTokens: 4, doSample: false, minNewTokens: 4 });
  assert.equal(r.tokenIds.length, 4);
  // Each generated token is the argmax of the quantized forward over the sequence so far (KV cache and
  // forward graph read the same quantized weights).
  const seq = [...IDS[0]];
  for (const token of r.tokenIds) {
    const { data, dims } = await b.logits([seq]);
    const V = dims[2];
    const last = data.subarray((seq.length - 1) * V, seq.length * V);
    assert.equal(token, last.indexOf(Math.max(...last)));
    seq.push(token);
  }
});

test("LoRA gradients on a quantized base equal central differences of that quantized model", async () => {
  const dir = tinyCopy();
  for (const bits of [8, 4] as const) {
    const b = await load(dir, { dtype: bits === 8 ? "int8" : "int4", lora: { r: 2, alpha: 4, seed: 3 } });
    const lora = b.lora!;
    // Non-zero B so that every A gets a gradient too.
    for (const [name, v] of lora.tensors())
      if (name.includes("lora_B")) v.set(v.map((_, i) => 0.05 * Math.sin(i + 1)));
    const folder = mkdtempSync(path.join(os.tmpdir(), "tunebook-quant-grad-"));
    // accuracy level 0: float32 compute on the dequantized weights, so the function is smooth for differences.
    const weights = new WeightSource(b.modelDir.weights, folder, { quantBits: bits, quantAccuracyLevel: 0 });
    const built = buildDecoderGraph({ config: b.config, weights, lora });
    const V = b.config.vocabSize;
    const labels = built.graph.input("labels", "int64", ["B", "T"]);
    const loss = crossEntropy(reshape(built.logits, ["B*T", V]), reshape(labels, ["B*T"]));
    const params = built.trainableParams.filter((_, i) => i % 5 === 0); // a spread of layers and modules
    const grads = grad(loss, params);
    const outputs: Record<string, Tensor> = { loss };
    grads.forEach((g, i) => {
      outputs[`g${i}`] = g as Tensor;
    });
    const session = await compile(built.graph, outputs, {
      modelPath: path.join(folder, "g.onnx"),
      feedTrainable: true,
    });
    const [B, T] = [BATCH.ids.length, BATCH.ids[0].length];
    const i64 = (rows: number[][]) =>
      tensorValue("int64", [B, T], BigInt64Array.from(rows.flat().map(BigInt)));
    const nameOf = (p: Tensor) => (p.source.kind === "param" ? p.source.name : "");
    const values = new Map(
      built.trainableParams.map((p) => [p, lora.tensors().get(nameOf(p)) as Float32Array]),
    );
    const feeds = {
      input_ids: i64(BATCH.ids),
      attention_mask: i64(BATCH.mask),
      position_ids: i64(BATCH.ids.map((r) => r.map((_, t) => t))),
      labels: i64(
        BATCH.ids.map((r, bi) =>
          r.map((_, t) => (BATCH.mask[bi][t] && BATCH.mask[bi][t + 1] ? (r[t + 1] ?? -100) : -100)),
        ),
      ),
      ...Object.fromEntries(
        built.trainableParams.map((p) => {
          const v = values.get(p) as Float32Array;
          return [nameOf(p), tensorValue("float32", p.shape as number[], v)];
        }),
      ),
    };
    const base = await session.run(feeds);
    // Central differences along each checked tensor's gradient direction (per-element differences drown in
    // float32 rounding at this scale): the slope must equal the gradient's norm.
    const h = 2e-2;
    let worst = 0;
    for (const [k, p] of params.entries()) {
      const v = values.get(p) as Float32Array;
      const g = base[`g${k}`].data as Float32Array;
      const norm = Math.hypot(...g);
      const orig = Float32Array.from(v);
      const at = async (t: number) => {
        for (let j = 0; j < v.length; j++) v[j] = orig[j] + (t * g[j]) / norm;
        return (await session.run(feeds, ["loss"])).loss.data[0] as number;
      };
      const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
      v.set(orig);
      worst = Math.max(worst, Math.abs(numeric - norm) / norm);
    }
    await session.release();
    assert.ok(worst < 2e-3, `int${bits}: worst relative gradient error ${worst}`);
  }
});

test("the quantized cache is reused, and rebuilt with a note when corrupt or from another version", async () => {
  const dir = tinyCopy();
  const first = await load(dir, { dtype: "int4" });
  assert.match(first.notes.join("\n"), /quantized 28 linear weights of model\.safetensors to int4/);
  const ref = (await first.logits(IDS)).data;
  const second = await load(dir, { dtype: "int4" });
  assert.deepEqual(second.notes, [], "a warm cache is used as it is");
  assert.deepEqual((await second.logits(IDS)).data, ref);
  const file = path.join(dir, ".tunebook-quant", "model.int4.tbq");
  const bytes = readFileSync(file);
  const damage: [string, (b: Buffer) => Buffer, RegExp][] = [
    [
      "a flipped data byte",
      (b) => {
        b.writeUInt8(b[4000] ^ 0xff, 4000);
        return b;
      },
      /data checksum mismatch/,
    ],
    [
      "another version",
      (b) =>
        Buffer.from(
          b.toString("latin1").replace(`"version":${QUANT_CACHE_VERSION}`, '"version":0'),
          "latin1",
        ),
      /another version/,
    ],
    ["a truncated file", (b) => b.subarray(0, 100), /truncated|footer/],
    ["not a cache", () => Buffer.from("hello"), /not a cache file/],
  ];
  for (const [what, spoil, why] of damage) {
    writeFileSync(file, spoil(Buffer.from(bytes)));
    const b = await load(dir, { dtype: "int4" });
    assert.match(b.notes.join("\n"), why, what);
    assert.deepEqual((await b.logits(IDS)).data, ref, `${what}: same numbers after the rebuild`);
  }
  assert.deepEqual(readdirSync(path.dirname(file)).sort(), ["model.int4.tbq"], "no temp files left");
});

/** Doubles one float32 tensor of a safetensors file in place (same size, new contents, new mtime). */
function doubleTensor(file: string, name: string): void {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.toString("utf8", 8, 8 + headerLength));
  const [from, to] = header[name].data_offsets as [number, number];
  const at = 8 + headerLength + from;
  const values = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + 8 + headerLength + to),
  );
  for (let i = 0; i < values.length; i++) values[i] *= 2;
  Buffer.from(values.buffer).copy(bytes, at);
  writeFileSync(file, bytes);
}

test("the quantized cache is rebuilt when its source file changes", async () => {
  const dir = tinyCopy();
  const before = (await (await load(dir, { dtype: "int4" })).logits(IDS)).data;
  doubleTensor(path.join(dir, "model.safetensors"), "model.layers.0.mlp.down_proj.weight");
  const changed = await load(dir, { dtype: "int4" });
  assert.match(changed.notes.join("\n"), /rebuilt: written by another version or from another file/);
  const got = (await changed.logits(IDS)).data;
  assert.ok(relRms(got, before) > 1e-3, "the changed weight is used, not the old cache");
  const fresh = path.join(mkdtempSync(path.join(os.tmpdir(), "tunebook-quant-")), "fresh");
  cpSync(dir, fresh, { recursive: true, filter: (f) => !f.includes(".tunebook-quant") });
  const reference = await load(fresh, { dtype: "int4" });
  assert.match(reference.notes.join("\n"), /quantized 28 linear weights/, "the copy had no cache");
  assert.deepEqual(got, (await reference.logits(IDS)).data, "the same numbers as a fresh quantization");
});

test("a dtype the execution provider cannot run, or an unknown dtype, is a clear error", async () => {
  const dir = tinyCopy();
  await assert.rejects(Backbone.load(dir, { dtype: "int4", device: "cuda" }), (e: Error) => {
    assert.equal(e.name, "TunebookConfigError");
    assert.match(e.message, /"int4" is not available on the cuda execution provider.*use dtype "float32"/);
    return true;
  });
  await assert.rejects(
    Backbone.load(dir, { dtype: "int3" as "int4" }),
    /dtype.*float32.*bfloat16.*float16.*int8.*int4/s,
  );
});
