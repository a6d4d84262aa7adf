import assert from "node:assert/strict";
import { test } from "node:test";
import { runPython, seededRandom } from "../../../test/eval/run-python";
import { meanAbsoluteError, meanSquaredError } from "../regression";
import { accuracyScore } from "./accuracy";
import type { Label } from "./labels";
import { logLoss } from "./log-loss";
import { rocAuc } from "./roc-auc";

// Reference: scikit-learn, run in a child process on exactly the same inputs.
const SKLEARN = `
import json, sys, numpy as np
from sklearn import metrics as m
out = []
for c in json.load(sys.stdin):
    a = c["args"]; f = c["fn"]
    if f == "accuracy": v = m.accuracy_score(a["yTrue"], a["yPred"])
    elif f == "mse": v = m.mean_squared_error(a["yTrue"], a["yPred"])
    elif f == "mae": v = m.mean_absolute_error(a["yTrue"], a["yPred"])
    elif f == "auc":
        s = np.array(a["yScore"], dtype=np.float64)
        kw = {"multi_class": "ovr", "average": a.get("average", "macro")} if s.ndim == 2 else {}
        if "labels" in a: kw["labels"] = a["labels"]
        v = m.roc_auc_score(a["yTrue"], s, **kw)
    elif f == "logloss": v = m.log_loss(a["yTrue"], a["yPred"], labels=a.get("labels"))
    out.append(float(v))
print(json.dumps(out))
`;

type Case = { fn: string; args: Record<string, unknown> };

function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, sklearn ${expected}`);
}

function generate(seed: number): Case[] {
  const rand = seededRandom(seed);
  const int = (k: number) => Math.floor(rand() * k);
  const cases: Case[] = [];
  for (let t = 0; t < 40; t++) {
    const n = 5 + int(200);
    const k = 2 + int(4);
    const names = ["ant", "bee", "cat", "dog", "eel"];
    const asString = t % 3 === 0;
    const lab = (i: number): Label => (asString ? names[i] : i * 2 - 1);
    // Every class appears at least once so AUC is defined.
    const idx = Array.from({ length: n }, (_, i) => (i < k ? i : int(k)));
    const yTrue = idx.map(lab);
    // Probabilities on a grid of 1/T (rows sum to 1 up to rounding); T = 10 gives many tied scores.
    const T = t % 2 === 0 ? 10 : 1_000_000;
    const probs = idx.map((c) => {
      const units = Array.from({ length: k }, () => 0);
      for (let u = 0; u < T; u += T / 10) {
        const j = rand() < 0.4 ? c : int(k);
        units[j] += T / 10 - (T > 10 ? int(T / 20) : 0);
      }
      units[0] += T - units.reduce((a, b) => a + b, 0);
      return units.map((x) => x / T);
    });
    cases.push({ fn: "accuracy", args: { yTrue, yPred: idx.map((c) => lab(rand() < 0.6 ? c : int(k))) } });
    const yt = Array.from({ length: n }, () => rand() * 10 - 5);
    cases.push({ fn: "mse", args: { yTrue: yt, yPred: yt.map((y) => y + rand() * 2 - 1) } });
    cases.push({ fn: "mae", args: { yTrue: yt, yPred: yt.map((y) => y + rand() * 2 - 1) } });
    if (k === 2) {
      cases.push({ fn: "auc", args: { yTrue, yScore: probs.map((p) => p[1]) } });
      // Probabilities hitting 0 and 1 exercise sklearn's clipping.
      const hard = probs.map((p) => (rand() < 0.1 ? Math.round(p[1]) : p[1]));
      cases.push({ fn: "logloss", args: { yTrue, yPred: hard } });
    } else {
      const average = t % 4 === 1 ? "weighted" : "macro";
      cases.push({ fn: "auc", args: { yTrue, yScore: probs, average } });
      // Unnormalised rows exercise sklearn's renormalisation.
      cases.push({ fn: "logloss", args: { yTrue, yPred: probs.map((p) => p.map((x) => x * 1.3)) } });
    }
  }
  // A class absent from yTrue, named through labels.
  cases.push({
    fn: "logloss",
    args: {
      yTrue: [0, 1, 1, 0],
      yPred: [
        [0.5, 0.3, 0.2],
        [0.1, 0.8, 0.1],
        [0.2, 0.2, 0.6],
        [1, 0, 0],
      ],
      labels: [0, 1, 2],
    },
  });
  return cases;
}

function ours(c: Case): number {
  // biome-ignore lint/suspicious/noExplicitAny: args are generated to fit each function
  const a = c.args as any;
  switch (c.fn) {
    case "accuracy":
      return accuracyScore(a);
    case "mse":
      return meanSquaredError(a);
    case "mae":
      return meanAbsoluteError(a);
    case "auc":
      return rocAuc(a);
    default:
      return logLoss(a);
  }
}

test("accuracy, ROC AUC, log-loss, MSE and MAE agree with scikit-learn on random inputs with ties", () => {
  const cases = generate(7);
  const expected = runPython<number[]>(SKLEARN, cases);
  assert.equal(expected.length, cases.length);
  cases.forEach((c, i) => {
    close(ours(c), expected[i], `${c.fn} case ${i}`);
  });
});

test("documented scikit-learn examples", () => {
  // From scikit-learn's docstrings.
  close(
    logLoss({
      yTrue: ["spam", "ham", "ham", "spam"],
      yPred: [
        [0.1, 0.9],
        [0.9, 0.1],
        [0.8, 0.2],
        [0.35, 0.65],
      ],
    }),
    0.21616187468057912,
    "log_loss docstring",
  );
  close(rocAuc({ yTrue: [0, 0, 1, 1], yScore: [0.1, 0.4, 0.35, 0.8] }), 0.75, "roc_auc docstring");
  close(meanSquaredError({ yTrue: [3, -0.5, 2, 7], yPred: [2.5, 0.0, 2, 8] }), 0.375, "mse docstring");
  close(meanAbsoluteError({ yTrue: [3, -0.5, 2, 7], yPred: [2.5, 0.0, 2, 8] }), 0.5, "mae docstring");
});

test("undefined cases throw typed errors", () => {
  assert.throws(
    () => rocAuc({ yTrue: [1, 1], yScore: [0.2, 0.4] }),
    /TunebookMetricInputError|both positive/,
  );
  assert.throws(() => logLoss({ yTrue: [1, 1], yPred: [0.2, 0.4] }), { name: "TunebookMetricInputError" });
  assert.throws(() => accuracyScore({ yTrue: [1], yPred: [1, 2] }), { name: "TunebookMetricInputError" });
  assert.throws(() => rocAuc({ yTrue: [0, 1, 2], yScore: [[0.2, 0.8]] }), {
    name: "TunebookMetricInputError",
  });
  assert.throws(() => accuracyScore({ yTrue: "abc" } as never), { name: "TunebookConfigError" });
});
