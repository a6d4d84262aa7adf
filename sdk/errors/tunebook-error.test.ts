import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "./config-error";
import { TunebookError } from "./tunebook-error";

test("ConfigError lists every issue with its path and is recognised across copies", () => {
  const err = new ConfigError(
    [
      { path: ["training", "epochs"], message: "expected a number ≥ 0, got -1" },
      { path: [], message: "unknown key 'foo'" },
    ],
    { source: "exp.yaml" },
  );
  assert.match(err.message, /in exp\.yaml/);
  assert.match(err.message, /training\.epochs: expected a number ≥ 0, got -1/);
  assert.match(err.message, /\(root\): unknown key 'foo'/);
  assert.equal(err.name, "TunebookConfigError");
  assert.ok(TunebookError.isInstance(err));
  // An error from another copy of the package carries the same global symbol.
  const foreign = Object.assign(new Error("x"), { [Symbol.for("tunebook.error")]: true });
  assert.ok(TunebookError.isInstance(foreign));
  assert.ok(!TunebookError.isInstance(new Error("plain")));
});
