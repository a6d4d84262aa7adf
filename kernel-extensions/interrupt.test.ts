import assert from "node:assert/strict";
import { test } from "node:test";
import { kernelAbortSignal } from "./interrupt";

test("SIGINT aborts the kernel signal once, and the next call re-arms a fresh one", async () => {
  const signal = kernelAbortSignal();
  assert.equal(kernelAbortSignal(), signal, "one shared signal until an interrupt fires");
  await new Promise((r) => setImmediate(r)); // the listener is installed on the next tick
  process.kill(process.pid, "SIGINT");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as DOMException).name, "AbortError");
  const next = kernelAbortSignal();
  assert.notEqual(next, signal);
  assert.equal(next.aborted, false);
});
