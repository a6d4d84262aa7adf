import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { appendLinesDurable, readCompleteLines } from "./durable-append";

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-append-")), "metrics.jsonl");
}

test("a torn last line is ignored by readers and cut off by the next append", () => {
  const file = tempFile();
  appendLinesDurable(file, ['{"step":1}', '{"step":2}']);
  fs.appendFileSync(file, '{"step":3,"lo'); // what a crash mid-write could leave
  assert.deepEqual(readCompleteLines(file), ['{"step":1}', '{"step":2}']);
  appendLinesDurable(file, ['{"step":3}']);
  assert.equal(fs.readFileSync(file, "utf8"), '{"step":1}\n{"step":2}\n{"step":3}\n');
  assert.deepEqual(readCompleteLines(path.join(path.dirname(file), "missing.jsonl")), []);
  assert.throws(() => appendLinesDurable(file, ["a\nb"]), /newline/);
});

test("a file holding only a torn line is emptied before the next append", () => {
  const file = tempFile();
  fs.writeFileSync(file, '{"step":1');
  assert.deepEqual(readCompleteLines(file), []);
  appendLinesDurable(file, ["ok"]);
  assert.equal(fs.readFileSync(file, "utf8"), "ok\n");
});

test("an appender killed with SIGKILL leaves only complete JSON lines", async () => {
  const file = tempFile();
  const modulePath = path.join(__dirname, "durable-append");
  const script = `
    const { appendLinesDurable } = require(${JSON.stringify(modulePath)});
    const pad = "x".repeat(3000);
    for (let i = 0; ; i++) {
      appendLinesDurable(${JSON.stringify(file)}, [JSON.stringify({ step: i, pad })], { fsync: false });
      if (i === 5) process.stdout.write("ready\\n");
    }`;
  const child = spawn(process.execPath, [...process.execArgv, "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((r) => child.stdout.once("data", r));
  await new Promise((r) => setTimeout(r, 40));
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  const steps = readCompleteLines(file).map((l) => JSON.parse(l).step as number);
  assert.ok(steps.length > 5);
  assert.deepEqual(
    steps,
    steps.map((_, i) => i),
  );
});
