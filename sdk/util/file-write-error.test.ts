/**
 * toFileWriteError on the codes a root test process cannot provoke for real (EACCES, EPERM, EDQUOT: root
 * writes anyway; the real EROFS, ENOSPC and file-in-the-way cases are in test/train/write-errors.test.ts):
 * errors carrying those codes are a test double of what the kernel returns.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { FileWriteError, toFileWriteError, translateWriteErrorsSync } from "./file-write-error";

/** Test double: a filesystem error as Node reports it. */
function errno(code: string, syscall: string, at: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: test double, ${syscall} '${at}'`), { code, syscall, path: at });
}

test("permission, quota and folder-in-the-way errors name the path and say what to do", () => {
  const where = { what: "checkpoint", path: "/data/run/checkpoints/last", note: "The previous one is kept." };
  const cases: [string, RegExp][] = [
    [
      "EACCES",
      /Cannot write the checkpoint \/data\/run\/checkpoints\/last: permission denied\. Choose a folder/,
    ],
    ["EPERM", /permission denied/],
    ["EDQUOT", /the disk quota is exhausted\. Free some space/],
    ["EISDIR", /\/data\/run\/x is a folder, where a file is needed/],
  ];
  for (const [code, message] of cases) {
    const e = toFileWriteError(errno(code, "open", "/data/run/x"), where);
    assert.ok(e instanceof FileWriteError, code);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    assert.match(e.message, /The previous one is kept\.$/);
    assert.equal((e.cause as Error).message.startsWith(code), true, "the original error is the cause");
  }
});

test("other errors pass through; an inner FileWriteError is re-translated for the outer path", () => {
  const plain = new Error("something else");
  assert.equal(toFileWriteError(plain, { what: "file", path: "/x" }), plain);
  const notFound = errno("ENOENT", "open", "/x/y");
  assert.equal(toFileWriteError(notFound, { what: "file", path: "/x/y" }), notFound);
  const inner = toFileWriteError(errno("ENOSPC", "write", "/out/.tmp-1/a"), {
    what: "file",
    path: "/out/.tmp-1/a",
  });
  const outer = toFileWriteError(inner, { what: "export", path: "/out" }) as FileWriteError;
  assert.match(outer.message, /^Cannot write the export \/out: the disk is full/);

  const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-fs-error-"));
  const file = path.join(dir, "a-file");
  writeFileSync(file, "");
  assert.throws(
    () =>
      translateWriteErrorsSync({ what: "folder", path: path.join(file, "sub") }, () => {
        throw errno("ENOTDIR", "mkdir", path.join(file, "sub"));
      }),
    new RegExp(`${file} is a file, where a folder is needed`),
  );
  rmSync(dir, { recursive: true, force: true });
});
