import assert from "node:assert/strict";
import { test } from "node:test";
import { Dataset } from "../sdk/data";
import { runDefaults, setRunDefaults } from "../sdk/train";
import { enableNotebookDefaults } from "./auto-display";

type TestGlobal = { __tslab__?: { require: (id: string) => unknown; exports: object } };

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
  // Like tslab's createExports: a Proxy whose defineProperty trap stores values in a plain object.
  const stored: Record<string | symbol, unknown> = {};
  const tslabExports = new Proxy(stored, {
    defineProperty: (_t, prop, attrs) => {
      stored[prop] = attrs.get ? attrs.get() : attrs.value;
      return true;
    },
  });
  const g = globalThis as TestGlobal;
  g.__tslab__ = { require: (id) => (id === "tslab" ? fakeTslab : undefined), exports: tslabExports };
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
      tokens: 64,
      tokensPerSecond: 100,
      elapsedSeconds: 0.1,
    });
    assert.ok(shown.some((h) => h.includes('class="tunebook-progress"') && h.includes('data-step="1"')));

    // A cell ending in a Dataset: tslab compiles it to `exports.tsLastExpr = data` (with `exports` read from
    // __tslab__.exports); the escaped HTML table is displayed and tslab finds no value to print as text.
    shown.length = 0;
    const data = Dataset.fromRecords([{ prompt: "<b>2+2</b>", answer: "4" }]);
    const cellExports = g.__tslab__.exports as Record<string, unknown>;
    cellExports.tsLastExpr = data;
    assert.deepEqual(shown, [data.toHTML()]);
    assert.match(shown[0]!, /&lt;b&gt;2\+2&lt;\/b&gt;/);
    assert.equal(stored.tsLastExpr, undefined);
    // Anything else reaches tslab unchanged: other last values, declarations, a renamed last-expression var.
    shown.length = 0;
    cellExports.tsLastExpr0 = 42;
    cellExports.data = data;
    cellExports.tsLastExpr = { toHTML: 5 };
    assert.deepEqual(shown, []);
    assert.equal(stored.tsLastExpr0, 42);
    assert.equal(stored.data, data);
    assert.deepEqual(stored.tsLastExpr, { toHTML: 5 });
    cellExports.tsLastExpr1 = data.head(1);
    assert.equal(shown.length, 1);
    // Idempotent: a second call does not wrap the exports twice.
    const wrapped = g.__tslab__.exports;
    enableNotebookDefaults();
    assert.equal(g.__tslab__.exports, wrapped);
  } finally {
    delete g.__tslab__;
    setRunDefaults(undefined);
  }
});

test("switches turn parts off; invalid options are a ConfigError", () => {
  const g = globalThis as TestGlobal;
  const fake = { display: { html() {}, text() {} }, newDisplay: () => fake.display };
  g.__tslab__ = { require: () => fake, exports: {} };
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
