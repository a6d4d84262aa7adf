import assert from "node:assert/strict";
import { test } from "node:test";
import { extractJson } from "./extract-json";

// References: what JSON.parse gives for the JSON text embedded in each reply.
test("extractJson finds the JSON in plain, fenced and chatty replies", () => {
  const obj = { q: "What is {x}?", a: ["1", "2"], n: { k: "]" } };
  const json = JSON.stringify(obj);
  const cases = [
    json,
    `  ${JSON.stringify(obj, null, 2)}\n`,
    "```json\n" + json + "\n```",
    "Here you go:\n```\n" + json + "\n```\nAnything else?",
    `Sure! The answer is ${json} — hope it helps {not json}.`,
    `Thinking {draft: no} ... final: ${json}`,
  ];
  for (const reply of cases) assert.deepEqual(extractJson(reply), { ok: true, value: obj }, reply);
  assert.deepEqual(extractJson('list: [{"a": 1}, {"a": 2}] done'), { ok: true, value: [{ a: 1 }, { a: 2 }] });
});

test("extractJson reports failure for malformed or missing JSON", () => {
  for (const reply of ['{"q": "unterminated', "no json here", '{"a": 1,}', "```json\n{oops}\n```", "42"]) {
    assert.deepEqual(extractJson(reply), { ok: false }, reply);
  }
});
