import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import { chromium } from "playwright-core";
import { tokenStats } from "../sdk/data/summary";
import type { TokenizedExample } from "../sdk/data/tokenize-examples";
import { ConfigError } from "../sdk/errors";
import {
  type EvaluationRow,
  ExperimentStore,
  type ExperimentSummary,
  listExperiments,
  parseExperimentConfig,
} from "../sdk/train";
import { renderTable, showTable } from "./table";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-table-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function example(ids: number[], row: number): TokenizedExample {
  return { ids: Int32Array.from(ids), target: Uint8Array.from(ids.map((_, i) => (i > 1 ? 1 : 0))), row };
}

function textOf(rows: Parameters<typeof showTable>[0]["rows"], columns?: string[]): string {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => {
    text += c.toString();
  });
  showTable({ rows, columns, mode: "text", output: out });
  return text;
}

// These calls are the type-level test: `tsc` (the build) fails when showTable does not accept the SDK's own
// result types (interfaces have no index signature, so `Record<string, unknown>[]` rejected them).
test("showTable takes listExperiments() rows, EvaluationRow[] and TokenStats as they are", async () => {
  const config = parseExperimentConfig({ architecture: { backbone: "./tiny" } });
  await ExperimentStore.create({ root, name: "table-a", config, now: new Date(2025, 0, 1) });
  const experiments: ExperimentSummary[] = listExperiments(root);
  assert.equal(experiments.length, 1);
  const listed = textOf(experiments, ["name", "status"]);
  assert.match(listed, /^name\s+status\n-+\s+-+\ntable-a\s+created\n$/);

  const rows: EvaluationRow[] = [
    {
      index: 0,
      row: 1,
      data: { question: "How is 'sea' pronounced?" },
      prompt: "How is 'sea' pronounced?",
      reference: "S IY1",
      prediction: "S IY1",
      nll: 1.5,
      tokens: 3,
      scores: { bleu: 100 },
      explanations: {},
    },
  ];
  const evaluated = renderTable({ rows, columns: ["prompt", "prediction", "scores"] });
  assert.match(evaluated.html, /<td[^>]*>How is &#x27;sea&#x27; pronounced\?<\/td>/);
  assert.match(evaluated.html, /<td[^>]*>\{&quot;bleu&quot;:100\}<\/td>/);

  const stats = tokenStats([example([1, 2, 3, 4], 1), example([5, 6], 2)]);
  const one = renderTable({ rows: stats, columns: ["examples", "min", "mean", "max", "totalTokens"] });
  assert.match(one.text, /^examples\s+min\s+mean\s+max\s+totalTokens\n[- ]+\n2\s+2\s+3\s+4\s+6$/);
  assert.equal((one.html.match(/<tr>/g) ?? []).length, 2, "one header row and one data row");
});

test("showTable still refuses what is not rows, at type-check time and at run time", () => {
  // @ts-expect-error a number is not a table
  assert.throws(() => renderTable({ rows: 5 }), ConfigError);
  // an array of strings is an object to TypeScript, so only the run-time check catches it
  assert.throws(() => renderTable({ rows: ["a", "b"] }), ConfigError);
});

test("a frame ({ columns, values }) is still read column-wise, not as one record", () => {
  const { text } = renderTable({ rows: { columns: ["a", "b"], values: [[1, "x"]] } });
  assert.equal(text, "a  b\n-  -\n1  x");
});

test("a listExperiments() table fits the page width in a browser: long values wrap, the rest scrolls in its box", async () => {
  const config = parseExperimentConfig({
    architecture: { backbone: "./a/rather/long/path/to/a/backbone/folder" },
  });
  for (let i = 0; i < 3; i++)
    await ExperimentStore.create({
      root,
      name: `learning-rate-sweep-with-a-long-descriptive-name-${i}`,
      config,
      now: new Date(2025, 0, 2, i),
    });
  const { html } = renderTable({ rows: listExperiments(root), title: "experiments" });
  const page = path.join(root, "table.html");
  fs.writeFileSync(page, `<!doctype html><html><body style="margin:8px">${html}</body></html>`);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 800, height: 600 } });
    await tab.goto(`file://${page}`);
    const table = (await tab.locator("table").boundingBox())!;
    const cells = await Promise.all((await tab.locator("td").all()).map((td) => td.boundingBox()));
    const m = {
      page: (await tab.evaluate("document.documentElement.scrollWidth")) as number,
      viewport: (await tab.evaluate("document.documentElement.clientWidth")) as number,
      table: table.width,
      widest: Math.max(...cells.map((c) => c!.width)),
    };
    assert.ok(m.page <= m.viewport, `the page scrolls sideways: ${m.page} px of content in ${m.viewport} px`);
    assert.ok(m.table <= m.viewport - 16, `the table is ${m.table} px wide in a ${m.viewport} px page`);
    assert.ok(m.widest < 700, `a cell is ${m.widest} px wide`);
  } finally {
    await browser.close();
  }
});

test("a table of 200,000 shown rows renders (no spread of the rows into Math.max)", () => {
  const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: i, word: `w${i}` }));
  const { text } = renderTable({ rows, maxRows: 200_000 });
  const lines = text.split("\n");
  assert.equal(lines.length, 2 + 200_000);
  assert.match(lines[lines.length - 1]!, /^199999\s+w199999$/);
});
