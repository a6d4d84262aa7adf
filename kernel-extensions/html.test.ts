import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { escapeHtml, scriptJson, scriptSafe } from "./html";
import { renderTable } from "./table";

const tricky = [
  '<b title="x">',
  "a & b",
  "it's",
  "</script><script>alert(1)</script>",
  "plain",
  "&amp;",
  "ü → ✓",
];

function python(code: string, input: string): string {
  const r = spawnSync("/usr/bin/python3", ["-c", code], { input, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("escapeHtml matches Python's html.escape(s, quote=True)", () => {
  const expected = JSON.parse(
    python(
      "import html, json, sys; print(json.dumps([html.escape(s, quote=True) for s in json.load(sys.stdin)]))",
      JSON.stringify(tricky),
    ),
  ) as string[];
  assert.deepEqual(tricky.map(escapeHtml), expected);
});

test("a rendered table parses (Python html.parser) back to exactly the cell texts", () => {
  const rows = tricky.map((s, i) => ({ text: s, n: i }));
  const { html } = renderTable({ rows, title: "t <&>" });
  const parsed = JSON.parse(
    python(
      `import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.rows = []; s.cell = None; s.tags = []
    def handle_starttag(s, tag, a):
        s.tags.append(tag)
        if tag == "tr": s.rows.append([])
        if tag in ("td", "th"): s.cell = ""
    def handle_endtag(s, tag):
        if tag in ("td", "th"): s.rows[-1].append(s.cell); s.cell = None
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
p = P(); p.feed(sys.stdin.read()); print(json.dumps({"rows": p.rows, "script": "script" in p.tags}))`,
      html,
    ),
  ) as { rows: string[][]; script: boolean };
  assert.equal(parsed.script, false, "no <script> element survives escaping");
  assert.deepEqual(parsed.rows, [["text", "n"], ...rows.map((r) => [r.text, String(r.n)])]);
});

test("scriptJson and scriptSafe never let a payload close the <script> element", () => {
  const json = scriptJson({ s: "</script><!--" });
  assert.ok(!/<\/script/i.test(json));
  assert.deepEqual(JSON.parse(json), { s: "</script><!--" });
  assert.equal(scriptSafe('x = "</SCRIPT>"'), 'x = "<\\/SCRIPT>"');
});
