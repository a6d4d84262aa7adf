import assert from "node:assert/strict";
import { test } from "node:test";
import { codeVersion, parseWorkerName, trialJobId, versionMismatch, workerName } from "./trial-job";

test("a worker's name carries its code version and place, and reads back from BullMQ's client name", () => {
  const code = codeVersion();
  assert.match(code.schema, /^[0-9a-f]{12}$/);
  const raw = `bull:dHVuZWJvb2s=:w:${workerName(code, "gpu-1.lab:4242")}`;
  assert.deepEqual(parseWorkerName(raw), { code, where: "gpu-1.lab:4242" });
  assert.equal(parseWorkerName("bull:dHVuZWJvb2s=:w:someone-else"), undefined);
});

test("versions differ when the tunebook version, the config schema or the protocol does", () => {
  const code = codeVersion();
  assert.equal(versionMismatch(code, { ...code }), undefined);
  for (const other of [
    { ...code, tunebook: "9.9.9" },
    { ...code, schema: "000000000000" },
    { ...code, protocol: code.protocol + 1 },
  ]) {
    const m = versionMismatch(code, other);
    assert.match(
      m ?? "",
      /^the worker runs tunebook .* but the search was started with tunebook .*; install/,
    );
  }
  assert.doesNotMatch(trialJobId("a1b2c3", 7), /:/, "BullMQ job ids may not contain ':'");
});
