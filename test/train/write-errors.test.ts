/**
 * Filesystem errors of writes reach the user as what they can do, never as raw `EROFS`, `ENOTDIR`/`EEXIST` or
 * `ENOSPC`: a read-only output folder (a real read-only tmpfs mount), an output path that is a file, and a full
 * disk (a real 4 MiB tmpfs filled up) on which a checkpoint write fails while the previous checkpoint survives,
 * byte for byte, and still loads. The CLI is spawned as users run it. Mounting needs root: without it the
 * mount-based tests are skipped, saying so.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { Experiment, ExperimentStore, loadTrainedBackbone } from "../../sdk/train";
import { FileWriteError } from "../../sdk/util";
import { cliWorkspace, onlyExperiment, tunebook } from "../support/cli-workspace";
import { arithmeticDataset, tinyLlama } from "./fixtures";

const mounts: string[] = [];
/** Mounts a tmpfs at a new folder under the workspace; undefined when mounting is not permitted. */
function mountTmpfs(name: string, options: string): string | undefined {
  const dir = path.join(ws, name);
  fs.mkdirSync(dir);
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  mounts.push(dir);
  return dir;
}
const CANNOT_MOUNT = "mounting a tmpfs is not permitted here (needs root)";

let ws = "";
let trained = "";

before(async () => {
  ws = await cliWorkspace();
  const r = tunebook(["train", "--config", "exp.yaml"], ws);
  assert.equal(r.code, 0, r.err);
  trained = onlyExperiment(path.join(ws, "runs"));
});

after(() => {
  for (const dir of mounts.reverse()) {
    if (spawnSync("umount", [dir]).status !== 0) spawnSync("umount", ["-l", dir]);
  }
  fs.rmSync(ws, { recursive: true, force: true });
});

function assertNoRawErrno(text: string): void {
  assert.doesNotMatch(
    text,
    /\b(EROFS|ENOSPC|ENOTDIR|EEXIST|EACCES)\b/,
    `a raw errno reached the user: ${text}`,
  );
  assert.doesNotMatch(text, /TUNEBOOK_DEBUG/, "a tunebook error, not an unexpected one");
}

/** Every file under `dir`, relative path → bytes. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const p = path.join(dir, entry);
    if (fs.statSync(p).isFile()) out[entry] = fs.readFileSync(p).toString("base64");
  }
  return out;
}

test("a read-only output folder: train and export say which folder is read-only", (t) => {
  const ro = mountTmpfs("read-only", "ro,size=1m");
  if (!ro) return t.skip(CANNOT_MOUNT);
  const train = tunebook(["train", "--config", "exp.yaml", "--set", `logging.output_dir=${ro}/runs`], ws);
  assert.equal(train.code, 1, train.out);
  assertNoRawErrno(train.err);
  assert.match(
    train.err,
    new RegExp(
      `Cannot write the experiment folder in ${ro}/runs: the filesystem is read-only\\. Choose a folder on a writable disk`,
    ),
  );
  assert.match(train.err, /logging\.output_dir/);

  for (const format of ["peft", "merged"]) {
    const out = path.join(ro, "export");
    const r = tunebook(["export", trained, "-o", out, "--format", format], ws);
    assert.equal(r.code, 1, r.out);
    assertNoRawErrno(r.err);
    assert.match(r.err, new RegExp(`Cannot write the export ${out}: the filesystem is read-only`));
  }
});

test("an output path that is a file: train and export name the file", () => {
  const file = path.join(ws, "a-file");
  fs.writeFileSync(file, "not a folder\n");
  for (const dir of [file, path.join(file, "runs")]) {
    const r = tunebook(["train", "--config", "exp.yaml", "--set", `logging.output_dir=${dir}`], ws);
    assert.equal(r.code, 1, r.out);
    assertNoRawErrno(r.err);
    assert.match(
      r.err,
      new RegExp(`${file} is a file, where a folder is needed\\. Remove or rename that file`),
    );
  }
  const r = tunebook(["export", trained, "-o", path.join(file, "export")], ws);
  assert.equal(r.code, 1, r.out);
  assertNoRawErrno(r.err);
  assert.match(
    r.err,
    new RegExp(`Cannot write the export ${file}/export: ${file} is a file, where a folder is needed`),
  );
  assert.equal(fs.readFileSync(file, "utf8"), "not a folder\n");
});

/** Fills a filesystem to the last byte with one file, in smaller and smaller writes; returns its path. */
function fillDisk(disk: string): string {
  const filler = path.join(disk, "filler");
  const fd = fs.openSync(filler, "a");
  try {
    for (const size of [1 << 16, 1 << 12, 1 << 8, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, "ENOSPC");
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

test("a training run whose disk fills up fails saying so, and keeps its last checkpoint", async (t) => {
  const disk = mountTmpfs("filling-disk", "size=8m");
  if (!disk) return t.skip(CANNOT_MOUNT);
  let first: { dir: string; bytes: number; tree: Record<string, string> } | undefined;
  const fillAfterFirstCheckpoint = {
    onCheckpoint(event: { path: string }) {
      if (first) return;
      const tree = readTree(event.path);
      const bytes = Object.values(tree).reduce((n, b64) => n + Buffer.from(b64, "base64").length, 0);
      first = { dir: event.path, bytes, tree };
      // Leave room for the log and metric lines of the next steps, not for another checkpoint.
      const filler = fillDisk(disk);
      const reserve = Math.floor(bytes / 2 / 4096) * 4096;
      assert.ok(reserve >= 8192, `the checkpoint (${bytes} bytes) is large enough for this test`);
      fs.truncateSync(filler, fs.statSync(filler).size - reserve);
    },
  };
  const run = await Experiment.create({ name: "full", root: path.join(disk, "runs") })
    .backbone(await tinyLlama())
    .dataset(arithmeticDataset(32))
    .lora({ r: 4, targetModules: ["q_proj", "v_proj"] })
    .train({ epochs: 2, batchSize: 4, evaluationEpochs: 0.25 })
    .environment({ threads: 1 })
    .fit({ display: false, callbacks: [fillAfterFirstCheckpoint] });
  await run.backbone.dispose();
  assert.ok(first, "a first checkpoint was written");
  assert.equal(run.status, "failed");
  const message = run.error?.message ?? "";
  assertNoRawErrno(message);
  assert.match(message, new RegExp(`Cannot write the checkpoint ${first.dir}: the disk is full`));
  assert.match(message, /The previous checkpoint in .* is kept\./);
  assert.equal(ExperimentStore.open(run.dir).readStatus()?.status, "failed");
  assert.deepEqual(readTree(first.dir), first.tree, "the last good checkpoint is byte for byte intact");
  const kept = await loadTrainedBackbone(run.dir);
  await kept.dispose();
});

test("a full disk: the checkpoint write fails saying so, and the previous checkpoint survives and loads", async (t) => {
  const disk = mountTmpfs("small-disk", "size=4m");
  if (!disk) return t.skip(CANNOT_MOUNT);
  const exp = path.join(disk, path.basename(trained));
  fs.cpSync(trained, exp, { recursive: true });
  const last = path.join(exp, "checkpoints", "last");
  const before = readTree(last);
  const files = Object.fromEntries(
    Object.entries(before).map(([name, b64]) => [name, new Uint8Array(Buffer.from(b64, "base64"))]),
  );
  fillDisk(disk);

  const store = ExperimentStore.open(exp);
  await assert.rejects(store.writeCheckpoint("last", files), (e: unknown) => {
    assert.ok(e instanceof FileWriteError, String(e));
    assert.equal(e.code, "ENOSPC");
    assert.equal(e.path, last);
    assert.match(
      e.message,
      new RegExp(`Cannot write the checkpoint ${last}: the disk is full\\. Free some space`),
    );
    assert.match(e.message, new RegExp(`The previous checkpoint in ${last} is kept\\.`));
    return true;
  });
  assert.deepEqual(readTree(last), before, "the previous checkpoint is byte for byte intact");
  const leftovers = fs
    .readdirSync(path.dirname(last))
    .filter((n) => n.includes(".tmp-") || n.endsWith(".old"));
  assert.deepEqual(leftovers, [], "no temporary checkpoint folders left on the full disk");
  await assert.rejects(
    store.writePredictions("final", [{ prompt: "2+2?", target: "4", prediction: "4" }]),
    (e: unknown) =>
      e instanceof FileWriteError && /predictions\/final\.jsonl: the disk is full/.test(e.message),
  );
  const burst = Array.from({ length: 64 }, (_, i) => ({
    type: "eval" as const,
    step: i,
    epoch: 1,
    loss: 1,
    metrics: {},
  }));
  assert.throws(
    () => store.appendMetrics(burst),
    (e: unknown) => e instanceof FileWriteError && /metrics\.jsonl: the disk is full/.test(e.message),
  );

  const [kept, original] = [await loadTrainedBackbone(exp), await loadTrainedBackbone(trained)];
  try {
    const ids = [[5, 6, 7, 8]];
    const [a, b] = [await kept.logits(ids), await original.logits(ids)];
    assert.deepEqual(Array.from(a.data), Array.from(b.data), "the kept checkpoint loads to the same model");
  } finally {
    await kept.dispose();
    await original.dispose();
  }
});
