import assert from "node:assert/strict";
import { test } from "node:test";
import { toDataset } from "./to-dataset";

test("toDataset keeps the records, in order, and leaves failures out", () => {
  const records = [
    { question: "a?", answer: "A" },
    { question: "b?", answer: "B" },
  ];
  const failure = { index: 2, attempts: 3, errorName: "RateLimitError", message: "429", status: 429 };
  const data = toDataset({
    records,
    failures: [failure],
    duplicates: 1,
    calls: 4,
    retries: 2,
    aborted: false,
  });
  assert.equal(data.length, 2);
  assert.deepEqual([...data.columnNames].sort(), ["answer", "question"]);
  assert.deepEqual(data.records, records);
});
