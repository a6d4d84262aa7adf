import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../errors";
import { runPython } from "../testing/run-python";
import { SafetensorsFile } from "./safetensors-file";
import { writeSafetensors } from "./write-safetensors";

const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-st-write-"));

// An independent reader following the published format, decoding with torch; prints header facts and values.
const PY_READ = `
import json, struct, sys, torch
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
dt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
      "I32": torch.int32, "BOOL": torch.bool, "U8": torch.uint8}
out = {"header_len": n, "keys": list(header), "meta": header.get("__metadata__"), "values": {}, "ends": []}
for k, v in header.items():
  if k == "__metadata__": continue
  b, e = v["data_offsets"]
  out["ends"].append([b, e])
  t = torch.frombuffer(bytearray(data[b:e]) or bytearray(1), dtype=torch.uint8)[: e - b]
  t = t.view(dt[v["dtype"]]).reshape(v["shape"])
  out["values"][k] = [v["dtype"], list(t.shape), (t.double() if t.is_floating_point() else t.long()).flatten().tolist()]
out["data_len"] = len(data)
print(json.dumps(out))
`;

test("writes files an independent torch-based reader decodes exactly, laid out like the Python library", async () => {
  const file = path.join(dir, "sub", "out.safetensors");
  const w = new Float32Array([0.1, -2.5, 3.25, 1e-3, 65504, 7]);
  await writeSafetensors({
    path: file,
    metadata: { format: "pt" },
    tensors: {
      "z.weight": { shape: [2, 3], data: w },
      "h.half": { dtype: "F16", shape: [6], data: w },
      "b.bf16": { dtype: "BF16", shape: [3, 2], data: w },
      ids: { shape: [2], data: new BigInt64Array([1n, -(2n ** 40n)]) },
      i32: { shape: [1], data: new Int32Array([-7]) },
      mask: { dtype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
      bytes: { shape: [2], data: new Uint8Array([0, 255]) },
      scalar: { shape: [], data: new Float32Array([4]) },
    },
  });
  assert.deepEqual(readdirSync(path.dirname(file)), ["out.safetensors"], "no temp file left behind");
  const py = JSON.parse(runPython(PY_READ, [file]));
  assert.equal(py.header_len % 8, 0, "header padded to 8 bytes");
  assert.deepEqual(py.meta, { format: "pt" });
  // Largest dtype first (8-byte I64), then 4-byte, then 2-byte, then 1-byte; names sorted within a size.
  assert.deepEqual(py.keys, [
    "__metadata__",
    "ids",
    "i32",
    "scalar",
    "z.weight",
    "b.bf16",
    "h.half",
    "bytes",
    "mask",
  ]);
  const ends = py.ends as [number, number][];
  for (let i = 0; i < ends.length; i++)
    assert.equal(ends[i][0], i === 0 ? 0 : ends[i - 1][1], "contiguous data");
  assert.equal(ends.at(-1)?.[1], py.data_len);
  const v = py.values;
  assert.deepEqual(v["z.weight"][2], Array.from(w));
  assert.deepEqual(v.ids, ["I64", [2], [1, -(2 ** 40)]]);
  assert.deepEqual(v.mask, ["BOOL", [3], [1, 0, 1]]);
  assert.deepEqual(v.scalar, ["F32", [], [4]]);
  // f16/bf16 values equal torch's own rounding of the same float32 inputs.
  const rounded = JSON.parse(
    runPython(
      "import torch,json,sys; x=torch.tensor(json.loads(sys.argv[1]),dtype=torch.float32); print(json.dumps([x.half().double().tolist(), x.bfloat16().double().tolist()]))",
      [JSON.stringify(Array.from(w))],
    ),
  );
  assert.deepEqual(v["h.half"][2], rounded[0]);
  assert.deepEqual(v["b.bf16"][2], rounded[1]);
  // And our own reader reads back what we wrote.
  const st = await SafetensorsFile.open({ path: file });
  assert.deepEqual(Array.from(await st.readFloat32("b.bf16")), rounded[1]);
  assert.deepEqual((await st.read("i32")).data, new Int32Array([-7]));
});

test("rejects tensors whose shape, dtype or data do not agree, and leaves no file", async () => {
  const file = path.join(dir, "bad.safetensors");
  const bad = [
    { x: { shape: [3], data: new Float32Array(2) } },
    { x: { shape: [2], data: new Uint16Array(2) } },
    { x: { dtype: "I64" as const, shape: [2], data: new Float32Array(2) } },
    { x: { shape: [1.5], data: new Float32Array(2) } },
  ];
  for (const tensors of bad) {
    await assert.rejects(writeSafetensors({ path: file, tensors }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /tensors\.x/);
      return true;
    });
  }
  assert.ok(!readdirSync(dir).some((f) => f.startsWith("bad")));
});
