import assert from "node:assert/strict";
import { test } from "node:test";
import { abortKernelSignal, kernelAbortSignal } from "./interrupt";

// One process-wide state: the tests run in order and each leaves a fresh signal armed.

test("the SIGINT listener is added on the next macrotask, not during the call (a cell's synchronous run)", async () => {
  const before = process.listenerCount("SIGINT");
  kernelAbortSignal();
  assert.equal(process.listenerCount("SIGINT"), before, "no listener added synchronously");
  await new Promise((r) => setImmediate(r));
  assert.equal(process.listenerCount("SIGINT"), before + 1, "one listener after the current turn");
  kernelAbortSignal();
  await new Promise((r) => setImmediate(r));
  assert.equal(process.listenerCount("SIGINT"), before + 1, "still one listener per process");
});

test("SIGINT aborts the kernel signal once, and the next call re-arms a fresh one", async () => {
  const signal = kernelAbortSignal();
  assert.equal(kernelAbortSignal(), signal, "one shared signal until an interrupt fires");
  process.kill(process.pid, "SIGINT");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as DOMException).name, "AbortError");
  const next = kernelAbortSignal();
  assert.notEqual(next, signal);
  assert.equal(next.aborted, false);
});

test("abortKernelSignal() aborts the current signal as an interrupt would", () => {
  const signal = kernelAbortSignal();
  abortKernelSignal();
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as DOMException).name, "AbortError");
  assert.equal(kernelAbortSignal().aborted, false);
});
