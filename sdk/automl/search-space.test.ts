import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../errors";
import { dimensionApplies, parseSearchSpace, Space } from "./search-space";

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  }
  assert.fail("expected a ConfigError");
}

test("a search space accepts H2O's grid lists, typed ranges in either spelling, and conditions", () => {
  const space = parseSearchSpace({
    "training.learning_rate": Space.logUniform(1e-5, 1e-3),
    "training.epochs": [1, 2, 3],
    "lora.r": { type: "int", low: 4, high: 32, log: true },
    "lora.alpha": { type: "choice", values: [8, 16], when: { "lora.r": [4, 8] } },
    "training.warmupEpochs": Space.uniform(0, 0.5),
  });
  assert.deepEqual(
    space.dimensions.map((d) => [d.path, d.kind]),
    [
      ["training.learningRate", "log_uniform"],
      ["training.epochs", "choice"],
      ["lora.r", "int"],
      ["lora.alpha", "choice"],
      ["training.warmupEpochs", "uniform"],
    ],
  );
  const alpha = space.dimensions[3];
  assert.deepEqual(alpha.when, { path: "lora.r", in: [4, 8] });
  assert.equal(
    dimensionApplies(alpha, new Map([["lora.r", 8]]), () => undefined),
    true,
  );
  assert.equal(
    dimensionApplies(alpha, new Map([["lora.r", 16]]), () => undefined),
    false,
  );
  assert.equal(
    dimensionApplies(alpha, new Map(), (p) => (p === "lora.r" ? 4 : undefined)),
    true,
  );
});

test("bad spaces are refused before any trial, naming the setting and the fix", () => {
  const issues = issuesOf(() =>
    parseSearchSpace({
      "training.learnig_rate": [1e-4],
      "training.epochs": { type: "uniform", low: 3, high: 1 },
      "lora.r": { type: "int", low: 8, high: 8.5 },
      "training.warmup_epochs": { type: "log_uniform", low: 0, high: 1 },
      "training.batch_size": [4, -2],
      training: [1],
      "lora.dropout": { type: "uniform", low: 0.1 },
    }),
  );
  assert.equal(issues.length, 7, issues.join("\n"));
  assert.match(
    issues[0],
    /training\.learnig_rate: unknown setting; did you mean 'training\.learning_rate'\?/,
  );
  assert.match(issues[1], /\[3, 1\] is inverted/);
  assert.match(issues[2], /integer bounds/);
  assert.match(issues[3], /log-scaled range needs low > 0/);
  assert.match(issues[4], /training\.batch_size: -2 is not valid here/);
  assert.match(issues[5], /settings group/);
  assert.match(issues[6], /needs both low and high/);
  assert.match(issuesOf(() => parseSearchSpace({}))[0], /empty/);
  assert.match(
    issuesOf(() => parseSearchSpace({ "lora.r": { type: "uniform", low: 2, high: 2 } }))[0],
    /empty/,
  );
});
