import assert from "node:assert/strict";
import { test } from "node:test";
import { runPython, seededRandom } from "../../../test/eval/run-python";
import { corpusBleu } from "./bleu";
import { tokenize13a } from "./tokenizer-13a";

// Reference 1: NLTK's corpus_bleu, where its definition coincides with sacreBLEU's (whitespace tokens, no
// smoothing, uniform weights, closest reference length with ties to the shorter).
// Reference 2: the 13a regexes run by Python's own `re` module, so JS and Python regex semantics are compared.
const PY = `
import json, re, sys
from nltk.translate.bleu_score import corpus_bleu
d = json.load(sys.stdin)
bleu = [corpus_bleu([[r.split() for r in refs] for refs in c["refs"]], [h.split() for h in c["hyps"]]) * 100
        for c in d["bleu"]]
rules = [(re.compile(r'([\\{-\\~\\[-\\\` -\\&\\(-\\+\\:-\\@\\/])'), r' \\1 '), (re.compile(r'([^0-9])([\\.,])'), r'\\1 \\2 '),
         (re.compile(r'([\\.,])([^0-9])'), r' \\1 \\2'), (re.compile(r'([0-9])(-)'), r'\\1 \\2 ')]
def tok(line):
    line = line.rstrip().replace('<skipped>', '').replace('-\\n', '').replace('\\n', ' ')
    line = line.replace('&quot;', '"').replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>')
    line = ' ' + line + ' '
    for r, s in rules: line = r.sub(s, line)
    return ' '.join(line.split())
print(json.dumps({"bleu": bleu, "tok": [tok(t) for t in d["tok"]]}))
`;

const WORDS = "the a cat dog sat on mat and ran far away quickly home big small red".split(" ");
const PUNCT = [
  ".",
  ",",
  "!",
  "?",
  "'",
  '"',
  "-",
  "(",
  ")",
  ":",
  ";",
  "$",
  "%",
  "&amp;",
  "3.5",
  "1,000",
  "2019-20",
  "\n",
];

function sentence(rand: () => number, n: number, punct: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(WORDS[Math.floor(rand() * WORDS.length)]);
    if (punct && rand() < 0.3) out.push(PUNCT[Math.floor(rand() * PUNCT.length)]);
  }
  return out.join(rand() < 0.5 ? " " : punct ? "" : " ");
}

function mutate(rand: () => number, s: string): string {
  const words = s.split(" ");
  return words.map((w) => (rand() < 0.2 ? WORDS[Math.floor(rand() * WORDS.length)] : w)).join(" ");
}

test("corpus BLEU (no smoothing, whitespace tokens) agrees with NLTK; 13a agrees with Python's re", () => {
  const rand = seededRandom(11);
  const bleuCases = Array.from({ length: 30 }, () => {
    const rows = 1 + Math.floor(rand() * 8);
    const refs = Array.from({ length: rows }, () => {
      const base = sentence(rand, 6 + Math.floor(rand() * 12), false);
      return Array.from({ length: 1 + Math.floor(rand() * 3) }, () => mutate(rand, base));
    });
    const hyps = refs.map((r) => mutate(rand, r[0]));
    return { hyps, refs };
  });
  const tokCases = Array.from({ length: 200 }, () => sentence(rand, 3 + Math.floor(rand() * 10), true));
  const ref = runPython<{ bleu: number[]; tok: string[] }>(PY, { bleu: bleuCases, tok: tokCases });
  let compared = 0;
  bleuCases.forEach((c, i) => {
    const ours = corpusBleu({
      predictions: c.hyps,
      references: c.refs,
      smoothing: "none",
      tokenize: "none",
    }).score;
    // NLTK returns ~1e-308-scaled values when a precision is 0; sacreBLEU returns exactly 0.
    if (ref.bleu[i] < 1e-100) {
      assert.ok(ours < 1e-100, `case ${i}: ${ours} vs ${ref.bleu[i]}`);
      return;
    }
    compared++;
    assert.ok(
      Math.abs(ours - ref.bleu[i]) <= 1e-9 * ref.bleu[i],
      `case ${i}: ours ${ours}, NLTK ${ref.bleu[i]}`,
    );
  });
  assert.ok(compared >= 20, `only ${compared} cases had every precision non-zero`);
  tokCases.forEach((t, i) => {
    assert.equal(tokenize13a(t), ref.tok[i], `tokenizing ${JSON.stringify(t)}`);
  });
});
