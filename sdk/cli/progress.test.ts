import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { dispatchEvent, type StepEvent } from "../train/events";
import { createProgressRenderer, formatDuration, formatStepLine } from "./progress";

function step(s: number, total = 100): StepEvent {
  return {
    type: "step",
    step: s,
    totalSteps: total,
    epoch: s / 50,
    loss: 3 - s / 100,
    learningRate: 1e-4,
    gradNorm: 1,
    tokens: 64,
    tokensPerSecond: 1234.4,
    elapsedSeconds: s * 0.5,
  };
}

function capture() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (c) => {
    text += String(c);
  });
  return { stream, text: () => text };
}

test("formatDuration and formatStepLine", () => {
  assert.equal(formatDuration(3723), "1h02m03s");
  assert.equal(formatDuration(125), "2m05s");
  assert.equal(formatDuration(7), "7s");
  assert.equal(formatDuration(Number.NaN), "?");
  assert.equal(
    formatStepLine(step(20)),
    "step 20/100 (20%) epoch 0.40 loss 2.8000 lr 1.00e-4 1,234 tok/s elapsed 10s ETA 40s",
  );
  // A GRPO step shows its mean reward after the loss.
  assert.equal(
    formatStepLine({ ...step(20), metrics: { reward: 0.8125, generation_seconds: 0.4 } }),
    "step 20/100 (20%) epoch 0.40 loss 2.8000 reward 0.8125 lr 1.00e-4 1,234 tok/s elapsed 10s ETA 40s",
  );
});

test("without a terminal, a line is printed at most every interval, plus the last step and milestones", async () => {
  const out = capture();
  let clock = 0;
  const cb = [
    createProgressRenderer({ stream: out.stream, tty: false, intervalSeconds: 10, now: () => clock }),
  ];
  for (let s = 1; s <= 100; s++) {
    clock = s * 500; // 0.5 s per step
    await dispatchEvent(cb, step(s));
  }
  await dispatchEvent(cb, { type: "eval", step: 100, epoch: 2, loss: 1.5, metrics: { perplexity: 4.4817 } });
  await dispatchEvent(cb, { type: "done", status: "completed", step: 100, loss: 2 });
  const lines = out.text().trimEnd().split("\n");
  // Steps 1, 21, 41, 61, 81 (every 10 s of the fake clock), then 100 (the last), then eval and done.
  assert.deepEqual(
    lines.slice(0, 6).map((l) => l.split(" ")[1]),
    ["1/100", "21/100", "41/100", "61/100", "81/100", "100/100"],
  );
  assert.equal(lines[6], "eval  step 100 epoch 2.00 loss 1.5000 perplexity 4.4817");
  assert.equal(lines[7], "done  completed at step 100 loss 2.0000");
  assert.equal(lines.length, 8);
});

test("on a terminal, a cli-progress bar shows step, loss and tokens/s", async () => {
  const out = capture();
  // A terminal-like stream: cli-progress draws only on streams that say they are TTYs.
  Object.assign(out.stream, { isTTY: true, columns: 200 });
  const cb = [createProgressRenderer({ stream: out.stream, fps: 50 })];
  for (let s = 1; s <= 10; s++) await dispatchEvent(cb, step(s, 10));
  await dispatchEvent(cb, { type: "done", status: "completed", step: 10 });
  const text = out.text();
  assert.match(text, /100% \| step 10\/10 \| epoch 0\.20 \| loss 2\.9000 \| 1234 tok\/s \| ETA 0s/);
  assert.match(text, /done {2}completed at step 10/);
});
