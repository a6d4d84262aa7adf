import assert from "node:assert/strict";
import { test } from "node:test";
import { renderChart } from "./chart";

test("a series of 300,000 points renders its summary (no spread of the points into Math.min)", () => {
  const y = Array.from({ length: 300_000 }, (_, i) => 10 + Math.sin(i) - i / 1e5);
  const { text } = renderChart({ series: [{ name: "loss", x: y.map((_, i) => i + 1), y }] });
  const min = y.reduce((m, v) => Math.min(m, v));
  assert.match(text, /^loss: last \S+ @ 300000, min (\S+) {2}\S+$/);
  assert.equal(text.match(/min (\S+)/)![1], String(Number(min.toPrecision(4))));
});
