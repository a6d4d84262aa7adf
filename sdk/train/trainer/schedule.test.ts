import assert from "node:assert/strict";
import { test } from "node:test";
import { type HfScheduleCase, hfLearningRates } from "../../../test/train/hf-schedule";
import { learningRateAt, type ScheduleOptions } from "./schedule";

test("learning rates of a whole run equal transformers' schedules in torch's LambdaLR, step for step", () => {
  const cases: HfScheduleCase[] = [];
  for (const schedule of ["constant", "linear", "cosine"] as const) {
    for (const [warmup, minLrRatio, micro, ga, epochs] of [
      [0, 0, 10, 1, 1],
      [3, 0, 10, 1, 2],
      [2, 0.1, 7, 2, 3], // 4 steps per epoch, the last of each epoch one micro-batch short
      [5, 0, 9, 3, 1], // warmup as long as the run
      [1, 0.25, 4, 4, 2],
    ]) {
      cases.push({ schedule, peak: 3e-4, warmup, minLrRatio, micro, ga, epochs });
    }
  }
  const expected = hfLearningRates(cases);
  cases.forEach((c, i) => {
    const totalSteps = Math.ceil(c.micro / c.ga) * c.epochs;
    const o: ScheduleOptions = {
      peak: c.peak,
      schedule: c.schedule,
      totalSteps,
      warmupSteps: c.warmup,
      minLrRatio: c.minLrRatio,
    };
    const ours = Array.from({ length: totalSteps }, (_, k) => learningRateAt(k + 1, o));
    assert.equal(ours.length, expected[i].length, JSON.stringify(c));
    ours.forEach((lr, k) => {
      assert.ok(
        Math.abs(lr - expected[i][k]) <= 1e-12 * c.peak,
        `${JSON.stringify(c)} step ${k + 1}: ours ${lr}, transformers ${expected[i][k]}`,
      );
    });
  });
  // The convention itself: with warmup the first step runs at 0; with no floor the last one is still above 0.
  const o: ScheduleOptions = { peak: 1, schedule: "linear", totalSteps: 10, warmupSteps: 2, minLrRatio: 0 };
  assert.equal(learningRateAt(1, o), 0);
  assert.equal(learningRateAt(3, o), 1);
  assert.equal(learningRateAt(10, o), 1 / 8);
});
