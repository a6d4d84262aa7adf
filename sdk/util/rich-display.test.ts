/** showRich: text on stdout by default, the registered display once one is set, and back after removal. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type RichValue, setRichDisplay, showRich } from "./rich-display";

const value: RichValue = { toHTML: () => "<b>x</b>", toString: () => "x as text" };

test("showRich writes text without a display and uses the registered one otherwise", () => {
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    showRich(value);
  } finally {
    process.stdout.write = write;
  }
  assert.deepEqual(written, ["x as text\n"]);
  const shown: string[] = [];
  setRichDisplay((v) => shown.push(v.toHTML()));
  try {
    showRich(value);
  } finally {
    setRichDisplay(undefined);
  }
  assert.deepEqual(shown, ["<b>x</b>"]);
});
