import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { SafetensorsError } from "../errors";
import { runPython } from "../testing/run-python";
import { SafetensorsFile } from "./safetensors-file";

const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-st-read-"));

// An independent writer following the published format (8-byte LE length, JSON header, raw LE data),
// fed from torch tensors; it also dumps every tensor's values (as float64 / int64) for comparison.
const PY_WRITE = `
import json, struct, sys, torch
torch.manual_seed(0)
t = {
  "a.f32": torch.randn(3, 5),
  "b.f16": torch.randn(4, 2).half(),
  "c.bf16": torch.randn(7).bfloat16(),
  "d.i64": torch.tensor([[1, -2], [3, 2**40]], dtype=torch.int64),
  "e.i32": torch.tensor([5, -6, 7], dtype=torch.int32),
  "f.bool": torch.tensor([True, False, True]),
  "g.u8": torch.tensor([0, 255, 9], dtype=torch.uint8),
  "h.scalar": torch.tensor(2.5),
  "i.empty": torch.zeros(0, 3),
}
names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
         torch.int32: "I32", torch.bool: "BOOL", torch.uint8: "U8"}
header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
for k, v in t.items():
  b = (v.view(torch.int16) if v.dtype == torch.bfloat16 else v).numpy().tobytes()
  header[k] = {"dtype": names[v.dtype], "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
  blobs.append(b); off += len(b)
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(sys.argv[1], "wb") as f:
  f.write(struct.pack("<Q", len(h))); f.write(h); [f.write(b) for b in blobs]
print(json.dumps({k: (v.double() if v.is_floating_point() else v.long()).flatten().tolist() for k, v in t.items()}))
`;

test("reads every dtype written by an independent torch-based writer, without copying until asked", async () => {
  const file = path.join(dir, "ref.safetensors");
  const expected = JSON.parse(runPython(PY_WRITE, [file])) as Record<string, number[]>;
  const st = await SafetensorsFile.open({ path: file });
  assert.deepEqual(st.metadata, { format: "pt" });
  assert.deepEqual(st.names().sort(), Object.keys(expected).sort());
  const a = st.ref("a.f32");
  assert.deepEqual([a.dtype, a.shape, a.file, a.byteLength], ["F32", [3, 5], file, 60]);
  // The reference points at the exact bytes in the file.
  const raw = readFileSync(file).subarray(a.dataOffset, a.dataOffset + a.byteLength);
  assert.deepEqual(
    new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)),
    await st.readFloat32("a.f32"),
  );
  for (const name of ["a.f32", "b.f16", "c.bf16", "h.scalar", "i.empty"]) {
    assert.deepEqual(Array.from(await st.readFloat32(name)), expected[name], name);
  }
  assert.deepEqual((await st.read("d.i64")).data, BigInt64Array.from(expected["d.i64"].map(BigInt)));
  assert.deepEqual(Array.from((await st.read("e.i32")).data as Int32Array), expected["e.i32"]);
  assert.deepEqual(Array.from((await st.read("f.bool")).data as Uint8Array), expected["f.bool"]);
  assert.deepEqual(Array.from((await st.read("g.u8")).data as Uint8Array), expected["g.u8"]);
  assert.deepEqual(st.ref("h.scalar").shape, []);
  await assert.rejects(st.readFloat32("d.i64"), /readFloat32 needs an F32, F16 or BF16 tensor/);
  await assert.rejects(
    () => st.read("nope"),
    (e: unknown) => e instanceof SafetensorsError && e.tensor === "nope",
  );
});

function craft(name: string, header: unknown, dataBytes: number, headerLength?: number): string {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerLength ?? json.length));
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]));
  return file;
}

async function rejectsWith(file: string, pattern: RegExp, tensor?: string): Promise<void> {
  await assert.rejects(SafetensorsFile.open({ path: file }), (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, String(e));
    assert.equal(e.file, file);
    assert.equal(e.tensor, tensor);
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(file));
    return true;
  });
}

test("refuses truncated, malformed and inconsistent files with errors naming file and tensor", async () => {
  const ok = { x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const short = path.join(dir, "short");
  writeFileSync(short, Buffer.alloc(5));
  await rejectsWith(short, /only 5 bytes, shorter than the 8-byte/);
  await rejectsWith(craft("long-header", ok, 8, 10_000), /header length 10000 exceeds/);
  await rejectsWith(craft("bad-json", "{not json", 8), /not valid JSON/);
  await rejectsWith(craft("array", "[1,2]", 8), /must be a JSON object/);
  await rejectsWith(
    craft("dtype", { x: { dtype: "F8", shape: [2], data_offsets: [0, 2] } }, 8),
    /unsupported dtype "F8"/,
    "x",
  );
  await rejectsWith(
    craft("shape", { x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8),
    /needs 12 bytes.*span 8/,
    "x",
  );
  await rejectsWith(
    craft("neg", { x: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, 8),
    /non-negative integers/,
    "x",
  );
  await rejectsWith(
    craft("offs", { x: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, 8),
    /begin ≤ end/,
    "x",
  );
  await rejectsWith(
    craft("past", { x: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, 8),
    /truncated/,
    "x",
  );
  const overlap = {
    x: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    y: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
  };
  await rejectsWith(craft("overlap", overlap, 8), /overlap those of "x"/, "y");
  await rejectsWith(
    craft("meta", { __metadata__: { a: 1 }, ...ok }, 8),
    /__metadata__ must be an object of string/,
  );
  // A valid file cut short loses its last tensor's bytes.
  const cut = craft("cut", ok, 8);
  truncateSync(cut, readFileSync(cut).length - 1);
  await rejectsWith(cut, /run past the end of the data section \(7 bytes\)/, "x");
  await assert.rejects(
    SafetensorsFile.open({ path: path.join(dir, "missing") }),
    /cannot open it \(ENOENT\)/,
  );
  await assert.rejects(SafetensorsFile.open({ path: "" } as never), /Invalid configuration/);
});
