// Browser check: execute the quickstart tutorial (a real LoRA fit() with the notebook's default live view) with
// nbconvert on the tunebook kernel, export it to HTML, open that in headless Debian chromium with every network
// request refused, and check that the progress bar, the plotly chart (SVG paths drawn from the run's data), the
// dataset table and the chat transcript are really drawn. The screenshot goes to test-artifacts/quickstart.png.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium, type Page } from "playwright-core";
import { cellWith, NotebookRunner, outputHtml } from "./notebook-runner";

let runner: NotebookRunner;
before(async () => {
  runner = await NotebookRunner.create("tunebook-render");
});
after(() => runner?.dispose());

/** The vertices of an SVG path's `d` (plotly writes lines as `M x,y L x,y …`). */
function vertices(d: string): { x: number; y: number }[] {
  return [...d.matchAll(/[ML]\s*(-?[\d.]+)[ ,](-?[\d.]+)/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
  }));
}

/** Per plotly trace drawn in the page: its legend name and the `d` of its line path. */
async function drawnTraces(page: Page): Promise<{ name: string; d: string }[]> {
  return page.$$eval(".tunebook-chart .scatterlayer .trace", (traces) =>
    traces.map((t) => {
      const data = (t as unknown as { __data__?: { 0?: { trace?: { name?: string } } } }).__data__;
      return {
        name: data?.[0]?.trace?.name ?? "",
        d: t.querySelector("path.js-line")?.getAttribute("d") ?? "",
      };
    }),
  );
}

async function openOffline(html: string, blocked: string[]) {
  // A fresh user-data-dir per run (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(path.join(runner.dir, "chrome"), {
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
  const page = await browser.newPage();
  // Offline: refuse every non-file request (nbconvert's template links require.js and MathJax on CDNs).
  await page.route(/^https?:/, (route) => {
    blocked.push(route.request().url());
    return route.abort();
  });
  await page.goto(`file://${html}`, { waitUntil: "domcontentloaded", timeout: 60_000 });
  return { browser, page };
}

test("the executed quickstart's HTML export draws its progress bar, loss chart, table and chat offline", async () => {
  const { notebook, file } = runner.execute("quickstart");
  // The run's own numbers, from the executed notebook: steps, and the chart's figure.
  const bar = cellWith(notebook, "exp.fit()")
    .outputs.map(outputHtml)
    .find((h) => h.includes('class="tunebook-progress"'));
  const steps = /data-step="(\d+)" data-total="\1" data-status="completed"/.exec(bar ?? "");
  assert.ok(steps, `final progress state in the executed notebook: ${bar}`);
  const chartHtml = cellWith(notebook, "exp.fit()")
    .outputs.map(outputHtml)
    .find((h) => h.includes('class="tunebook-chart"'));
  const fig = JSON.parse(/var fig=(\{[\s\S]*?\});var t0=/.exec(chartHtml ?? "")![1]!) as {
    data: { name: string; x: number[]; y: number[] }[];
  };
  const html = runner.toHtml(file);
  const exported = readFileSync(html, "utf8");
  assert.ok(!/<script[^>]+src="[^"]*plotly/i.test(exported), "plotly is not loaded from a URL");
  assert.match(exported, /plotly\.js v\d+\.\d+\.\d+/, "the plotly bundle is inlined in the HTML");

  const blocked: string[] = [];
  const { browser, page } = await openOffline(html, blocked);
  try {
    await page.waitForSelector(".tunebook-chart .main-svg", { timeout: 60_000 });
    // Progress bar, final state: full green fill with a visible width, and the step count as text.
    const fill = page.locator(".tunebook-progress-fill");
    assert.equal(await fill.count(), 1, "one progress bar (updated in place)");
    const width = await fill.evaluate((e) => (e as unknown as { style: { width: string } }).style.width);
    assert.equal(Number.parseFloat(width), 100);
    const box = await fill.boundingBox();
    assert.ok(box && box.width > 300 && box.height >= 10, `progress fill drawn: ${JSON.stringify(box)}`);
    assert.match(
      (await page.locator(".tunebook-progress").textContent()) ?? "",
      new RegExp(`Training ${steps[1]}/${steps[1]} \\(100%\\) \\[completed\\]`),
    );

    // The chart: one drawn trace per series of the run, each an SVG line through its points.
    const drawn = await drawnTraces(page);
    assert.deepEqual(
      drawn.map((t) => t.name).sort(),
      fig.data.map((t) => t.name).sort(),
      "every series of the figure is drawn",
    );
    for (const t of drawn) {
      const series = fig.data.find((s) => s.name === t.name)!;
      const v = vertices(t.d);
      // plotly may merge collinear points, never invent any.
      assert.ok(v.length >= 2 && v.length <= series.x.length, `${t.name}: ${v.length} vertices`);
      for (let i = 1; i < v.length; i++) assert.ok(v[i]!.x > v[i - 1]!.x, `${t.name}: x increases`);
    }
    // The train-loss line follows the run's losses on screen (SVG y grows downwards). plotly keeps the first
    // and last point and drops points collinear with their neighbours; the x axis maps steps linearly, so each
    // vertex is matched to its step, and the line between kept vertices rises where the loss rose.
    const train = fig.data.find((s) => s.name === "train loss")!;
    const tv = vertices(drawn.find((t) => t.name === "train loss")!.d);
    assert.ok(tv.length >= train.x.length / 2, `train loss: ${tv.length} of ${train.x.length} points drawn`);
    const px = (v: { x: number }) =>
      Math.round(((v.x - tv[0]!.x) / (tv.at(-1)!.x - tv[0]!.x)) * (train.x.length - 1));
    for (let i = 1; i < tv.length; i++) {
      const [a, b] = [px(tv[i - 1]!), px(tv[i]!)];
      if (Math.abs(tv[i]!.y - tv[i - 1]!.y) < 0.5) continue; // equal on screen
      assert.equal(
        Math.sign(tv[i]!.y - tv[i - 1]!.y),
        -Math.sign(train.y[b]! - train.y[a]!),
        `train loss from step ${train.x[a]} to ${train.x[b]} drawn in the data's direction`,
      );
    }
    const legend = await page.locator(".tunebook-chart .legendtext").allTextContents();
    assert.deepEqual(legend.sort(), fig.data.map((t) => t.name).sort());

    // The dataset preview and the streamed chat reply are rendered as HTML, not source text.
    assert.equal(await page.locator("table.tunebook-dataset tbody tr").count(), 3);
    const reply = page.locator('.tunebook-chat-message[data-role="assistant"] .tunebook-chat-content');
    assert.ok(((await reply.textContent()) ?? "").trim().length > 0, "the assistant's reply is shown");
    assert.ok(((await reply.boundingBox())?.height ?? 0) > 10, "and drawn");
    assert.ok(!blocked.some((u) => /plotly/i.test(u)), `no plotly request: ${blocked.join(", ")}`);

    mkdirSync("test-artifacts", { recursive: true });
    // nbconvert's page shows MathJax's "Loading …" box while its CDN request fails; keep it off the picture.
    await page.addStyleTag({ content: "#MathJax_Message { display: none !important; }" });
    await page.screenshot({ path: path.resolve("test-artifacts/quickstart.png"), fullPage: true });
  } finally {
    await browser.close();
  }
});
