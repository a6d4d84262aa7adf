import assert from "node:assert/strict";
import { test } from "node:test";
import { StopStringMatcher } from "./stop-strings";

/** Feeds deltas and returns the released text and whether it stopped. */
function run(stops: string[], deltas: string[]) {
  const m = new StopStringMatcher(stops);
  let out = "";
  for (const d of deltas) {
    const r = m.push(d);
    out += r.text;
    if (r.stopped) return { out, stopped: true };
  }
  return { out: out + m.flush(), stopped: false };
}

test("text is cut before a stop string split across deltas", () => {
  assert.deepEqual(run(["END"], ["Hello E", "N", "D more"]), { out: "Hello ", stopped: true });
  assert.deepEqual(run(["\n\n", "###"], ["a\n", "b#", "##c"]), { out: "a\nb", stopped: true });
});

test("the earliest of several stop strings wins, and partial matches are released at the end", () => {
  assert.deepEqual(run(["bc", "abcd"], ["xab", "cd"]), { out: "x", stopped: true });
  assert.deepEqual(run(["bc", "abcd"], ["xa", "bc"]), { out: "xa", stopped: true });
  assert.deepEqual(run(["STOP"], ["go ST", "O"]), { out: "go STO", stopped: false });
});

test("held-back text is released as soon as it cannot start a stop string", () => {
  const m = new StopStringMatcher(["<end>"]);
  assert.deepEqual(m.push("ab<"), { text: "ab", stopped: false });
  assert.deepEqual(m.push("x"), { text: "<x", stopped: false });
  assert.deepEqual(m.push("<en"), { text: "", stopped: false });
  assert.deepEqual(m.push("d>!"), { text: "", stopped: true });
});
