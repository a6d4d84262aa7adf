import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { writeDirAtomic } from "./atomic-dir";
import { ExportError } from "./export-error";
import { EXPORT_MARKER } from "./export-target";
import { planShards, shardIndex, shardSizeBytes } from "./shard-plan";

test("writeDirAtomic leaves nothing behind when writing fails, and keeps the old folder", async () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), "tunebook-atomic-dir-"));
  const dir = path.join(parent, "out");
  const failing = async (tmp: string) => {
    await writeFile(path.join(tmp, "half.bin"), "partial");
    throw new Error("disk full (test double)");
  };
  await assert.rejects(writeDirAtomic({ dir, format: "test", write: failing }), /disk full/);
  assert.deepEqual(readdirSync(parent), [], "no target, no temporary folder");

  await writeDirAtomic({ dir, format: "test", write: (tmp) => writeFile(path.join(tmp, "v"), "1") });
  await assert.rejects(writeDirAtomic({ dir, format: "test", overwrite: true, write: failing }), /disk full/);
  assert.equal(readFileSync(path.join(dir, "v"), "utf8"), "1", "the old folder survives a failed overwrite");
  assert.deepEqual(readdirSync(parent), ["out"]);

  await assert.rejects(
    writeDirAtomic({ dir, format: "test", write: (tmp) => writeFile(path.join(tmp, "v"), "2") }),
    (e: unknown) => e instanceof ExportError && e.target === dir,
  );
  await writeDirAtomic({
    dir,
    format: "test",
    overwrite: true,
    write: (tmp) => mkdir(path.join(tmp, "sub")),
  });
  assert.deepEqual(readdirSync(dir).sort(), ["sub", EXPORT_MARKER], "replaced whole");
  writeFileSync(path.join(parent, "file"), "");
  await assert.rejects(
    writeDirAtomic({ dir: path.join(parent, "file"), format: "test", write: async () => {} }),
    /found a file/,
  );
  rmSync(parent, { recursive: true, force: true });
});

test("shards split like transformers: in order, a new file when the next tensor would pass the limit", () => {
  assert.equal(shardSizeBytes("5GB"), 5e9);
  assert.equal(shardSizeBytes("2GiB"), 2 * 1024 ** 3);
  assert.equal(shardSizeBytes(" 1.5 mb "), 1.5e6);
  const sizes = [6, 6, 3, 12, 1].map((bytes, i) => ({ name: `t${i}`, bytes }));
  const shards = planShards(sizes, 10);
  assert.deepEqual(
    shards.map((s) => s.names),
    [["t0"], ["t1", "t2"], ["t3"], ["t4"]],
  );
  assert.deepEqual(shards[3].file, "model-00004-of-00004.safetensors");
  assert.deepEqual(shardIndex(shards).metadata.total_size, 28);
  assert.equal(shardIndex(shards).weight_map.t2, "model-00002-of-00004.safetensors");
  assert.deepEqual(
    planShards(sizes, 100).map((s) => s.file),
    ["model.safetensors"],
  );
});
