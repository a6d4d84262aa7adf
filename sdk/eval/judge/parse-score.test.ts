import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJudgeScore } from "./parse-score";

test("scores are read from chatty judge answers", () => {
  const ten: [number, number] = [1, 10];
  const one: [number, number] = [0, 1];
  const cases: [string, [number, number], number | null][] = [
    ["The answer is fine.\nRating: [[7]]", ten, 7],
    ["EXPLANATION: mostly right, minor slip in step 2.\nSCORE: 0.5", one, 0.5],
    ["EXPLANATION: good\nSCORE: **0.75**", one, 0.75],
    ["I'd give it 8/10 because it covers 3 of 4 points.", one, 0.8],
    ["I'd give it 8/10 because it covers 3 of 4 points.", ten, 8],
    ["Score: 4 out of 5", ten, 8],
    ["Considering points 1, 2 and 3, my score is 6.", ten, 6],
    ["SCORE: 9\nOn reflection, SCORE: 6", ten, 6],
    ["Score (0-1): 1", one, 1],
    ["[[3.5]]", ten, 3.5],
    ["SCORE: 42", ten, null],
    ["I cannot grade this.", one, null],
    ["", ten, null],
  ];
  for (const [answer, scale, expected] of cases) {
    assert.equal(parseJudgeScore(answer, scale), expected, JSON.stringify(answer));
  }
});
