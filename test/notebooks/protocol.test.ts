// End-to-end: the tunebook kernel under a real Jupyter server, driven over the Jupyter protocol.
// A cell imports the built package from dist/ and feeds notebookTrainingView a loop of step events; we check
// the display_data → update_display_data sequence and that an interrupt stops the loop via kernelAbortSignal
// while the kernel stays usable.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import type { KernelMessage } from "@jupyterlab/services";
import { JupyterHarness, type KernelSession, withTimeout } from "./jupyter-harness";

const DIST = path.resolve("dist/kernel-extensions");
let jupyter: JupyterHarness;
let kernel: KernelSession;

before(async () => {
  jupyter = await JupyterHarness.start();
  kernel = await jupyter.startKernel();
});
after(async () => {
  await jupyter?.shutdown();
});

type Display = { data: Record<string, string>; transient?: { display_id?: string } };
const displays = (msgs: KernelMessage.IIOPubMessage[]) =>
  msgs
    .filter((m) => m.header.msg_type === "display_data" || m.header.msg_type === "update_display_data")
    .map((m) => ({ type: m.header.msg_type, ...(m.content as Display) }));

const loopCell = (total: number, pauseMs: number) => `
import { kernelAbortSignal, notebookTrainingView } from ${JSON.stringify(DIST)};
const view = notebookTrainingView({ title: "protocol", progressIntervalMs: 50, chartIntervalMs: 200 });
const signal = kernelAbortSignal();
let step = 0;
for (let s = 1; s <= ${total} && !signal.aborted; s++) {
  step = s;
  await view.onStep!({ type: "step", step: s, totalSteps: ${total}, epoch: s / ${total}, loss: 3 / s,
    learningRate: 1e-3, gradNorm: 1, tokensPerSecond: 1000, elapsedSeconds: s * ${pauseMs / 1000} });
  if (s % 5 === 0) await view.onEval!({ type: "eval", step: s, epoch: s / ${total}, loss: 2 / s, metrics: { bleu: s } });
  await new Promise((r) => setTimeout(r, ${pauseMs}));
}
await view.onDone!({ type: "done", status: signal.aborted ? "cancelled" : "completed", step });
{
  (globalThis as any).__loopResult = { step, aborted: signal.aborted };
}
`;

test("a training view sends display_data, then update_display_data with the same display id", async () => {
  const run = await kernel.run(loopCell(20, 10), 90_000);
  assert.equal(run.status, "ok", run.text());
  const ds = displays(run.iopub);
  const progress = ds.filter((d) => d.data["text/html"]?.includes("tunebook-progress"));
  assert.ok(progress.length >= 2, `expected several progress renders, got ${progress.length}`);
  assert.equal(progress[0]!.type, "display_data");
  const id = progress[0]!.transient?.display_id;
  assert.ok(id, "the first progress display carries a display_id");
  for (const u of progress.slice(1)) {
    assert.equal(u.type, "update_display_data");
    assert.equal(u.transient?.display_id, id);
  }
  // Throttled: far fewer renders than 20 steps + 4 evals, and the final state is drawn.
  assert.ok(progress.length < 24, `throttling should coalesce renders, got ${progress.length}`);
  const last = progress.at(-1)!.data["text/html"]!;
  assert.match(last, /data-step="20" data-total="20" data-status="completed"/);
  // Exactly one plotly loader, then a chart display updated in place with the same id.
  assert.equal(ds.filter((d) => d.data["text/html"]?.includes("tunebook-plotly-loader")).length, 1);
  const charts = ds.filter((d) => d.data["text/html"]?.includes('class="tunebook-chart"'));
  assert.ok(charts.length >= 2);
  assert.equal(charts[0]!.type, "display_data");
  assert.ok(
    charts
      .slice(1)
      .every(
        (c) =>
          c.type === "update_display_data" && c.transient?.display_id === charts[0]!.transient?.display_id,
      ),
  );
  assert.match(charts.at(-1)!.data["text/html"]!, /validation loss/);
  // No stdout spam from the view.
  assert.equal(run.iopub.filter((m) => m.header.msg_type === "stream").length, 0, run.text());
});

test("an interrupt aborts kernelAbortSignal, stops the loop after its step, and the kernel stays usable", async () => {
  const total = 2000;
  const cell = kernel.start(loopCell(total, 20));
  // Wait until the loop is visibly running (a progress update arrived), then press "interrupt".
  await withTimeout(
    (async () => {
      while (!displays(cell.iopub).some((d) => d.type === "update_display_data"))
        await new Promise((r) => setTimeout(r, 50));
    })(),
    60_000,
    "first progress update",
  );
  await kernel.interrupt();
  const run = await withTimeout(cell.done, 30_000, "interrupted cell reply");
  assert.notEqual(run.status, "ok", "the interrupted cell does not report success");
  // The loop itself stops (the abort signal), not just the awaiting cell; the next cell runs in the same kernel.
  const next = await kernel.run(
    'await new Promise((r) => setTimeout(r, 500));\nconsole.log("RESULT " + JSON.stringify((globalThis as any).__loopResult));',
  );
  assert.equal(next.status, "ok", next.text());
  const m = /RESULT (.*)/.exec(next.text());
  assert.ok(m, next.text());
  const result = JSON.parse(m[1]!) as { step: number; aborted: boolean };
  assert.equal(result.aborted, true);
  assert.ok(result.step < total, `loop stopped early at ${result.step}`);
  // The final progress render (sent by the loop after the cell's reply) says "cancelled", for the same display.
  const id = displays(run.iopub).find((d) => d.data["text/html"]?.includes("tunebook-progress"))!.transient
    ?.display_id;
  const all = displays(kernel.allIopub).filter((d) => d.transient?.display_id === id);
  assert.match(all.at(-1)!.data["text/html"]!, /data-status="cancelled"/);
  // A fresh signal is armed for the next run.
  const again = await kernel.run(
    `import { kernelAbortSignal as k } from ${JSON.stringify(DIST)};\nconsole.log("ARMED " + !k().aborted);`,
  );
  assert.match(again.text(), /ARMED true/);
});
