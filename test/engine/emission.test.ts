/**
 * ONNX emission and runtime: the emitted step graph passes `onnx.checker` (Debian python3-onnx, ONNX 1.12,
 * opset 17); weights already in a file are referenced in place as external data and large inline weights go
 * to a side file; shape errors name the op and shapes at build time; a missing CUDA provider says how to
 * install it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  buildStepGraph,
  compile,
  emitOnnx,
  Graph,
  linear,
  matmul,
  reshape,
  Session,
  ShapeError,
  tensorValue,
} from "../../sdk/engine";
import { buildDecoder, decoderParams } from "./tiny-models";

test("the fused step graph (with If branches) passes onnx.checker", () => {
  const built = buildDecoder(decoderParams());
  const step = buildStepGraph({ loss: built.loss, params: built.params, maxGradNorm: 1, accumulate: true });
  const dir = mkdtempSync(join(tmpdir(), "tunebook-emit-"));
  const path = join(dir, "step.onnx");
  writeFileSync(path, emitOnnx(step.graph, step.outputs, { feedTrainable: true }).bytes);
  const py =
    "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.opset_import[0].version)";
  const r = spawnSync("/usr/bin/python3", ["-c", py, path]);
  assert.equal(r.status, 0, `onnx.checker rejected the model: ${r.stderr}`);
  assert.equal(r.stdout.toString().trim(), "17");
});

test("weights in a file are used in place; large inline weights go to a side file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tunebook-ext-"));
  const w = Float32Array.from({ length: 12 }, (_, i) => i - 5);
  const header = new Uint8Array(24).fill(7); // arbitrary bytes before the tensor, as in a safetensors file
  writeFileSync(join(dir, "weights.bin"), Buffer.concat([header, Buffer.from(w.buffer)]));
  const big = Float32Array.from({ length: 4 * 3 }, (_, i) => (i % 5) * 0.5);
  const g = new Graph();
  const x = g.input("x", "float32", ["N", 3]);
  const wFile = g.param("w_file", [4, 3], {
    kind: "external",
    file: join(dir, "weights.bin"),
    offset: 24,
    length: 48,
  });
  const wBig = g.param("w_big", [4, 3], { kind: "inline", data: big });
  const modelPath = join(dir, "model.onnx");
  const s = await compile(
    g,
    { a: linear(x, wFile), b: linear(x, wBig) },
    { modelPath, externalThreshold: 16 },
  );
  const xs = Float32Array.of(1, 2, 3, -1, 0, 1);
  const out = await s.run({ x: tensorValue("float32", [2, 3], xs) });
  const expect = (W: Float32Array) =>
    [0, 1].flatMap((r) =>
      [0, 1, 2, 3].map((o) => [0, 1, 2].reduce((acc, i) => acc + xs[r * 3 + i] * W[o * 3 + i], 0)),
    );
  assert.deepEqual(Array.from(out.a.data as Float32Array), expect(w));
  assert.deepEqual(Array.from(out.b.data as Float32Array), expect(big));
  assert.equal(statSync(`${modelPath}.data`).size, 48, "the large inline weight went to the side file");
  assert.ok(
    !readFileSync(modelPath).includes(Buffer.from(w.buffer)),
    "the file weight was not copied into the model",
  );
  await s.release();
  const outside = new Graph();
  const p = outside.param("p", [1], { kind: "external", file: "/etc/hostname", offset: 0, length: 4 });
  assert.throws(() => emitOnnx(outside, { p }, { modelPath }), /must be inside the model's folder/);
});

test("shape errors are raised while building, naming the op and the shapes", () => {
  const g = new Graph();
  const a = g.input("a", "float32", ["B", 3]);
  const b = g.input("b", "float32", [4, 5]);
  assert.throws(
    () => matmul(a, b),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.match(e.message, /^MatMul: inner dimensions differ: \[B, 3\] @ \[4, 5\]/);
      assert.match(e.message, /a: float32\[B, 3\]/);
      return true;
    },
  );
  assert.throws(() => reshape(a, [2, 2]), /Reshape: cannot reshape \[B, 3\] to \[2, 2\]/);
});

test("symbolic dimensions let one compiled graph serve several batch sizes", async () => {
  const g = new Graph();
  const x = g.input("x", "float32", ["B", "T", 2]);
  const y = reshape(x, ["B*T", 2]);
  const s = await compile(g, { y });
  for (const [B, T] of [
    [1, 3],
    [4, 2],
  ]) {
    const out = await s.run({ x: tensorValue("float32", [B, T, 2], new Float32Array(B * T * 2)) });
    assert.deepEqual(out.y.dims, [B * T, 2]);
  }
  await s.release();
});

test("requesting CUDA without the CUDA provider explains how to install it", async () => {
  const g = new Graph();
  const x = g.input("x", "float32", [1]);
  const bytes = emitOnnx(g, { y: x }).bytes;
  await assert.rejects(
    Session.create(bytes, { device: "cuda" }),
    /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
  );
});
