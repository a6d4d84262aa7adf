import assert from "node:assert/strict";
import { test } from "node:test";
import { Throttle } from "./throttle";

test("Throttle renders the first request, coalesces within the interval, and flush draws the newest state", () => {
  let now = 0;
  const drawn: number[] = [];
  let state = 0;
  const t = new Throttle({
    intervalMs: 100,
    now: () => now,
    trailing: false,
    render: () => drawn.push(state),
  });
  for (state = 1; state <= 50; state++, now += 10) t.request();
  // 50 requests over 500 ms at 100 ms spacing: renders at t=0,100,200,300,400.
  assert.deepEqual(drawn, [1, 11, 21, 31, 41]);
  state = 50;
  assert.equal(t.flush(), true);
  assert.deepEqual(drawn.at(-1), 50);
  assert.equal(t.flush(), false, "nothing pending after a flush");
});

test("Throttle's trailing timer draws the last state without another request", async () => {
  const drawn: number[] = [];
  let state = 0;
  const t = new Throttle({ intervalMs: 30, render: () => drawn.push(state) });
  state = 1;
  t.request();
  state = 2;
  t.request();
  assert.deepEqual(drawn, [1]);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(drawn, [1, 2]);
});
