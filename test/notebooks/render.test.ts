// Browser check: execute a notebook with nbconvert on the tunebook kernel, export it to HTML, open that in
// headless Debian chromium (no network) and check the progress bar, a plotly chart and a table really render.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { chromium } from "playwright-core";
import { installKernel } from "../../kernel-extensions";
import { JupyterHarness, PYTHON } from "./jupyter-harness";

const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-render-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const DIST = JSON.stringify(path.resolve("dist/kernel-extensions"));
const cells = [
  `import { notebookTrainingView, showTable } from ${DIST};`,
  `const view = notebookTrainingView({ title: "render check" });
for (let s = 1; s <= 30; s++) {
  await view.onStep!({ type: "step", step: s, totalSteps: 30, epoch: s / 10, loss: 2.5 * Math.exp(-s / 10) + 0.3,
    learningRate: 1e-3 * Math.min(1, s / 5), gradNorm: 1, tokensPerSecond: 9000, elapsedSeconds: s * 0.2 });
  if (s % 10 === 0) await view.onEval!({ type: "eval", step: s, epoch: s / 10, loss: 2.8 * Math.exp(-s / 12) + 0.4, metrics: { bleu: s } });
}
await view.onDone!({ type: "done", status: "completed", step: 30, loss: 0.42 });`,
  `showTable({ title: "metrics <&>", rows: [{ run: "<script>alert(1)</script>", loss: 0.42 }, { run: "b", loss: 0.5 }] });`,
];
const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: "tunebook-test", display_name: "TypeScript (tunebook)", language: "typescript" },
  },
  cells: cells.map((source, i) => ({
    cell_type: "code",
    id: `c${i}`,
    metadata: {},
    execution_count: null,
    outputs: [],
    source,
  })),
};

function nbconvert(args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(PYTHON, ["-m", "nbconvert", ...args], {
    cwd: dir,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `nbconvert ${args.join(" ")} failed:\n${r.stderr}`);
}

test("an executed notebook's HTML export draws the progress bar, the plotly chart and the table offline", async () => {
  const prefix = path.join(dir, "prefix");
  for (const d of ["config", "runtime", "data"]) mkdirSync(path.join(dir, d));
  installKernel({ prefix, name: "tunebook-test", python: PYTHON, linkPackage: false });
  const env = JupyterHarness.env(dir, prefix);
  writeFileSync(path.join(dir, "check.ipynb"), JSON.stringify(notebook));
  nbconvert(
    [
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.timeout=120",
      "--output",
      "executed.ipynb",
      "check.ipynb",
    ],
    env,
  );
  const executed = JSON.parse(readFileSync(path.join(dir, "executed.ipynb"), "utf8")) as {
    cells: { outputs: { output_type: string; data?: Record<string, string | string[]> }[] }[];
  };
  const html = (o: { data?: Record<string, string | string[]> }) =>
    [o.data?.["text/html"] ?? ""].flat().join("");
  const outs = executed.cells[1]!.outputs;
  // nbclient applied update_display_data: one progress entry holding the final state.
  const progress = outs.filter((o) => html(o).includes("tunebook-progress"));
  assert.equal(progress.length, 1);
  assert.match(html(progress[0]!), /data-step="30" data-total="30" data-status="completed"/);
  nbconvert(["--to", "html", "--output", "executed.html", "executed.ipynb"], env);

  // A fresh user-data-dir per run (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(path.join(dir, "chrome"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1100, height: 1400 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Offline: refuse every non-file request (nbconvert's template links CDNs) so nothing waits on the network.
    await page.route(/^https?:/, (route) => route.abort());
    await page.goto(`file://${path.join(dir, "executed.html")}`, {
      waitUntil: "domcontentloaded",
      timeout: 60_000,
    });
    await page.waitForSelector(".tunebook-chart .main-svg", { timeout: 60_000 });
    const traces = await page.locator(".tunebook-chart .scatterlayer .trace").count();
    assert.ok(traces >= 4, `expected train/validation loss, lr and bleu traces, got ${traces}`);
    const fill = await page
      .locator(".tunebook-progress-fill")
      .evaluate((e) => (e as unknown as { style: { width: string } }).style.width);
    assert.equal(Number.parseFloat(fill), 100);
    const box = await page.locator(".tunebook-progress-fill").boundingBox();
    assert.ok(box && box.width > 100, "the progress fill is drawn with a visible width");
    // The table escaped its cells: the script text is shown, not run.
    assert.match(
      (await page.locator("table.tunebook-table").textContent()) ?? "",
      /<script>alert\(1\)<\/script>/,
    );
    assert.deepEqual(dialogs, []);
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: path.resolve("test-artifacts/notebook-render.png"), fullPage: true });
  } finally {
    await browser.close();
  }
});
