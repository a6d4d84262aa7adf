import assert from "node:assert/strict";
import { test } from "node:test";
import type { TrialRecord } from "../trial";
import { AshaPruner } from "./asha-pruner";
import { MedianPruner } from "./median-pruner";

const curve = (values: number[], every = 10) => new Map(values.map((v, i) => [(i + 1) * every, v]));
const trial = (number: number, values: number[], state: TrialRecord["state"] = "complete"): TrialRecord => ({
  number,
  params: {},
  state,
  value: state === "complete" ? values[values.length - 1] : undefined,
  intermediate: curve(values),
});

test("median pruning: after the start-up trials, a trial whose best so far is worse than the median at that step stops", () => {
  const done = [
    trial(0, [3.0, 2.5, 2.0]),
    trial(1, [3.2, 2.7, 2.2]),
    trial(2, [2.8, 2.4, 1.9]),
    trial(3, [3.1, 2.6, 2.1]),
    trial(4, [2.9, 2.5, 2.0]),
  ];
  const pruner = new MedianPruner({ startupTrials: 5 });
  const bad = trial(5, [3.5], "running");
  const decision = pruner.decide(bad, 10, [...done, bad]);
  assert.equal(decision.prune, true);
  assert.match(
    decision.prune ? decision.reason : "",
    /step 10: best so far 3.5000 is worse than the median 3.0000 of 5/,
  );
  const good = trial(6, [2.9, 2.45], "running");
  assert.equal(pruner.decide(good, 20, [...done, good]).prune, false);
  // Fewer completed trials than startupTrials: never prunes; warm-up steps: never prunes.
  assert.equal(pruner.decide(bad, 10, [...done.slice(0, 4), bad]).prune, false);
  assert.equal(
    new MedianPruner({ startupTrials: 5, warmupSteps: 20 }).decide(bad, 10, [...done, bad]).prune,
    false,
  );
});

test("ASHA promotes the best ⌊n/η⌋ at each rung (the first arrival always) and prunes the rest, as Optuna decides", () => {
  const pruner = new AshaPruner({ gracePeriod: 10, reductionFactor: 2 });
  assert.deepEqual(
    [0, 1, 2].map((k) => pruner.rungStep(k)),
    [10, 20, 40],
  );
  const decide = (number: number, values: number[]) => {
    const t = trial(number, values, "running");
    return pruner.decide(t, values.length * 10).prune;
  };
  // Rung 0 (step 10), in order of arrival: 1.0 (first: promoted), 2.0 (n=2, best 1: pruned), 0.5 (n=3, best 1: promoted),
  // 0.8 (n=4, best 2 = {0.5, 0.8}: promoted), 3.0 (n=5: best 2: pruned).
  assert.equal(decide(0, [1.0]), false);
  assert.equal(decide(1, [2.0]), true);
  assert.equal(decide(2, [0.5]), false);
  assert.equal(decide(3, [0.8]), false);
  assert.equal(decide(4, [3.0]), true);
  // Trial 0 reaches rung 1 (step 20) first: promoted; trial 2 then with a worse value there: n=2 → pruned.
  assert.equal(decide(0, [1.0, 0.9]), false);
  assert.equal(decide(2, [0.5, 0.95]), true);
  assert.throws(() => new AshaPruner({ reductionFactor: 1 }), /reductionFactor ≥ 2/);
});
