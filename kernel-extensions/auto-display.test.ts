import assert from "node:assert/strict";
import { test } from "node:test";
import { Dataset } from "../sdk/data";
import { runDefaults, setRunDefaults } from "../sdk/train";
import { enableNotebookDefaults } from "./auto-display";

test("outside a kernel enableNotebookDefaults changes nothing", () => {
  setRunDefaults(undefined);
  const on = enableNotebookDefaults();
  assert.deepEqual(on, { inKernel: false, training: false, richResults: false });
  assert.deepEqual(runDefaults(), {});
});

test("inside a kernel fit() defaults to a training view and the interrupt signal; toHTML values display as HTML", async () => {
  // Test double: the real tslab API exists only inside a running kernel (the end-to-end check is
  // test/notebooks/protocol.test.ts); this fake records what would be displayed.
  const shown: string[] = [];
  const fakeDisplay = { html: (s: string) => shown.push(s), text: (s: string) => shown.push(`text:${s}`) };
  const fakeTslab = { display: fakeDisplay, newDisplay: () => fakeDisplay };
  const g = globalThis as { __tslab__?: { require: (id: string) => unknown } };
  g.__tslab__ = { require: (id) => (id === "tslab" ? fakeTslab : undefined) };
  try {
    const on = enableNotebookDefaults();
    assert.deepEqual(on, { inKernel: true, training: true, richResults: true });
    const a = runDefaults();
    assert.equal(a.callbacks?.length, 1);
    const view = a.callbacks![0]!;
    for (const hook of ["onStep", "onEval", "onDone"] as const) assert.equal(typeof view[hook], "function");
    assert.ok(a.signal instanceof AbortSignal);
    assert.equal(a.signal.aborted, false);
    // A fresh view per run (each fit() gets its own progress bar), the same interrupt signal until it fires.
    const b = runDefaults();
    assert.notEqual(b.callbacks![0], view);
    assert.equal(b.signal, a.signal);

    // The view draws through the kernel's display (HTML progress bar), not stdout.
    await view.onStep!({
      type: "step",
      step: 1,
      totalSteps: 4,
      epoch: 0.25,
      loss: 2.5,
      learningRate: 1e-3,
      gradNorm: 1,
      tokensPerSecond: 100,
      elapsedSeconds: 0.1,
    });
    assert.ok(shown.some((h) => h.includes('class="tunebook-progress"') && h.includes('data-step="1"')));

    // A cell ending in a Dataset: tslab calls console.log(value); it shows the escaped HTML table.
    shown.length = 0;
    const data = Dataset.fromRecords([{ prompt: "<b>2+2</b>", answer: "4" }]);
    console.log(data);
    assert.deepEqual(shown, [data.toHTML()]);
    assert.match(shown[0]!, /&lt;b&gt;2\+2&lt;\/b&gt;/);
    // Anything else still prints as text.
    shown.length = 0;
    console.log("plain", data.length);
    console.log({ toHTML: 5 });
    assert.deepEqual(shown, []);
    // Idempotent: a second call does not wrap console.log twice.
    const log = console.log;
    enableNotebookDefaults();
    assert.equal(console.log, log);
  } finally {
    delete g.__tslab__;
    setRunDefaults(undefined);
  }
});

test("switches turn parts off; invalid options are a ConfigError", () => {
  const g = globalThis as { __tslab__?: { require: (id: string) => unknown } };
  const fake = { display: { html() {}, text() {} }, newDisplay: () => fake.display };
  g.__tslab__ = { require: () => fake };
  try {
    setRunDefaults(undefined);
    assert.deepEqual(enableNotebookDefaults({ training: false, richResults: false }), {
      inKernel: true,
      training: false,
      richResults: false,
    });
    assert.deepEqual(runDefaults(), {});
    assert.throws(
      () => enableNotebookDefaults({ training: "yes" } as never),
      (e: Error) => e.name === "TunebookConfigError" && /training/.test(e.message),
    );
  } finally {
    delete g.__tslab__;
  }
});
