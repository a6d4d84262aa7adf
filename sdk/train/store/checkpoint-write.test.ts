import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { recoverCheckpoint, writeCheckpointAtomically } from "./checkpoint-write";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-ckpt-"));
}

test("a checkpoint is replaced whole, nested names work, escaping names are refused", async () => {
  const root = tempDir();
  const dir = path.join(root, "checkpoints", "last");
  await writeCheckpointAtomically(dir, { "a.json": "1", "sub/b.bin": new Uint8Array([1, 2, 3]) });
  await writeCheckpointAtomically(dir, { "a.json": "2" });
  assert.deepEqual(fs.readdirSync(dir), ["a.json"]);
  assert.equal(fs.readFileSync(path.join(dir, "a.json"), "utf8"), "2");
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ["last"]);
  await assert.rejects(writeCheckpointAtomically(dir, { "../evil": "x" }), /escapes its folder/);
  assert.equal(fs.readFileSync(path.join(dir, "a.json"), "utf8"), "2");
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ["last"]);
});

test("recoverCheckpoint restores the previous checkpoint after a crash between the two renames", () => {
  const root = tempDir();
  const dir = path.join(root, "last");
  // The state a crash right after `rename(dir, dir.old)` leaves: no dir, a backup, a finished temp folder.
  fs.mkdirSync(`${dir}.old`);
  fs.writeFileSync(path.join(`${dir}.old`, "state.json"), "old");
  fs.mkdirSync(`${dir}.tmp-abcd`);
  assert.equal(recoverCheckpoint(dir), true);
  assert.equal(fs.readFileSync(path.join(dir, "state.json"), "utf8"), "old");
  assert.deepEqual(fs.readdirSync(root), ["last"]);
  assert.equal(recoverCheckpoint(path.join(root, "none")), false);
});

const FILE_SIZE = 2 * 1024 * 1024;

test("a checkpoint writer killed with SIGKILL always leaves one complete checkpoint", async () => {
  const root = tempDir();
  const dir = path.join(root, "last");
  const modulePath = path.join(__dirname, "checkpoint-write");
  const script = `
    const { writeCheckpointAtomically } = require(${JSON.stringify(modulePath)});
    (async () => {
      for (let i = 0; ; i++) {
        const files = {};
        for (const n of ["model.bin", "optimizer.bin", "state.bin"]) files[n] = Buffer.alloc(${FILE_SIZE}, i % 251);
        await writeCheckpointAtomically(${JSON.stringify(dir)}, files);
        if (i === 1) process.stdout.write("ready\\n");
      }
    })();`;
  for (const delay of [2, 9, 23, 41, 67]) {
    const child = spawn(process.execPath, [...process.execArgv, "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise((r) => child.stdout.once("data", r));
    await new Promise((r) => setTimeout(r, delay));
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    assert.equal(recoverCheckpoint(dir), true, `no checkpoint after a kill at ${delay} ms`);
    const files = fs.readdirSync(dir).sort();
    assert.deepEqual(files, ["model.bin", "optimizer.bin", "state.bin"]);
    const versions = files.map((f) => {
      const data = fs.readFileSync(path.join(dir, f));
      assert.equal(data.length, FILE_SIZE, `${f} is truncated`);
      assert.ok(
        data.every((b) => b === data[0]),
        `${f} is torn`,
      );
      return data[0];
    });
    assert.equal(new Set(versions).size, 1, `files from different checkpoints: ${versions}`);
    assert.deepEqual(fs.readdirSync(root), ["last"]);
  }
});
