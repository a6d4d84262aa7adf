import assert from "node:assert/strict";
import { test } from "node:test";
import { runPython, seededRandom } from "../../../test/eval/run-python";
import { normalizeAnswer, qaMatches } from "./qa-accuracy";

// Reference: the official SQuAD v1.1 evaluation script's normalize_answer, run in Python.
const SQUAD = `
import json, re, string, sys
def normalize_answer(s):
    def remove_articles(text): return re.sub(r'\\b(a|an|the)\\b', ' ', text)
    def white_space_fix(text): return ' '.join(text.split())
    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)
    def lower(text): return text.lower()
    return white_space_fix(remove_articles(remove_punc(lower(s))))
print(json.dumps([normalize_answer(s) for s in json.load(sys.stdin)]))
`;

const PIECES = [
  "The",
  "a",
  "An",
  "the",
  "cat",
  "theatre",
  "Anna",
  "éa",
  "a1",
  "_a",
  "Ça",
  "naïve",
  "!",
  ",",
  "'s",
  "-",
  "  ",
  "\t",
  "\n",
  "(",
  ")",
  "É",
  "x_the",
];

test("normalizeAnswer agrees with SQuAD's normalize_answer on random strings", () => {
  const rand = seededRandom(3);
  const inputs = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + Math.floor(rand() * 8) }, () => PIECES[Math.floor(rand() * PIECES.length)]).join(
      rand() < 0.5 ? " " : "",
    ),
  );
  const expected = runPython<string[]>(SQUAD, inputs);
  inputs.forEach((s, i) => {
    assert.equal(normalizeAnswer(s), expected[i], JSON.stringify(s));
  });
});

test("exact and contains match, best over references", () => {
  assert.deepEqual(
    qaMatches({
      predictions: ["The Eiffel Tower!", "Paris", "Lyon"],
      references: ["eiffel tower", ["Rome", "paris"], "Paris"],
    }),
    [1, 1, 0],
  );
  assert.deepEqual(
    qaMatches({
      predictions: ["It is Paris, of course.", "Parisian food", "no"],
      references: ["Paris", "Paris", ""],
      mode: "contains",
    }),
    [1, 0, 0],
  );
});
