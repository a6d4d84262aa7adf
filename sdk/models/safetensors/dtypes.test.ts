import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { runPython } from "../testing/run-python";
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from "./dtypes";

const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-dtypes-"));

test("float16ToFloat32 matches numpy for all 65536 half-precision bit patterns", () => {
  const bits = new Uint16Array(65536).map((_, i) => i);
  const out = path.join(dir, "f16.bin");
  runPython(
    "import numpy as np,sys; np.arange(65536,dtype=np.uint16).view(np.float16).astype(np.float32).tofile(sys.argv[1])",
    [out],
  );
  const ref = new Uint32Array(readFileSync(out).buffer.slice(0));
  const mine = new Uint32Array(float16ToFloat32(bits).buffer);
  for (let i = 0; i < 65536; i++) {
    if (Number.isNaN(new Float32Array(ref.buffer)[i]))
      assert.ok(Number.isNaN(new Float32Array(mine.buffer)[i]));
    else assert.equal(mine[i], ref[i], `pattern 0x${i.toString(16)}`);
  }
});

test("float32 → float16 / bfloat16 rounding matches numpy and torch bit for bit", () => {
  // Edge cases (ties, subnormals, overflow, ±0, ±inf) plus random values over a wide range of exponents.
  const edge = [
    0,
    -0,
    1,
    -1,
    65504,
    65520,
    65519.99,
    1e6,
    -1e6,
    6.1e-5,
    5.96e-8,
    2.98e-8,
    2.99e-8,
    1e-10,
    Infinity,
    -Infinity,
  ];
  const edgeBits = [
    0x3f808000, 0x3f818000, 0x3f807fff, 0x3f808001, 0x33000000, 0x33000001, 0x3a001000, 0x3a003000,
  ];
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const values = new Float32Array(edge.length + edgeBits.length + 20000);
  values.set(edge);
  new Uint32Array(values.buffer, edge.length * 4, edgeBits.length).set(edgeBits);
  for (let i = edge.length + edgeBits.length; i < values.length; i++) {
    values[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 60 - 30);
  }
  const input = path.join(dir, "values.f32");
  writeFileSync(input, values);
  runPython(
    [
      "import numpy as np, torch, sys",
      "x = np.fromfile(sys.argv[1], dtype=np.float32)",
      "x.astype(np.float16).view(np.uint16).tofile(sys.argv[2])",
      "torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16).tofile(sys.argv[3])",
    ].join("\n"),
    [input, path.join(dir, "h.bin"), path.join(dir, "b.bin")],
  );
  const refHalf = new Uint16Array(readFileSync(path.join(dir, "h.bin")).buffer.slice(0));
  const refBf = new Uint16Array(readFileSync(path.join(dir, "b.bin")).buffer.slice(0));
  const half = float32ToFloat16(values);
  const bf = float32ToBfloat16(values);
  for (let i = 0; i < values.length; i++) {
    assert.equal(half[i], refHalf[i], `f16 of ${values[i]}`);
    assert.equal(bf[i], refBf[i], `bf16 of ${values[i]}`);
  }
  assert.deepEqual(bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc000])), new Float32Array([1, -2]));
});
