import assert from "node:assert/strict";
import { test } from "node:test";
import { runPython, seededRandom } from "../../../test/eval/run-python";
import { corpusBleu } from "./bleu";
import { tokenize13a } from "./tokenizer-13a";

// The 13a tokenizer in Python (`tok(line)` → tokens), with the 13a regexes run by Python's own `re` module.
const PY_13A = `
rules = [(re.compile(r'([\\{-\\~\\[-\\\` -\\&\\(-\\+\\:-\\@\\/])'), r' \\1 '), (re.compile(r'([^0-9])([\\.,])'), r'\\1 \\2 '),
         (re.compile(r'([\\.,])([^0-9])'), r' \\1 \\2'), (re.compile(r'([0-9])(-)'), r'\\1 \\2 ')]
def tok(line):
    line = line.rstrip().replace('<skipped>', '').replace('-\\n', '').replace('\\n', ' ')
    line = line.replace('&quot;', '"').replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>')
    line = ' ' + line + ' '
    for r, s in rules: line = r.sub(s, line)
    return line.split()
`;

// Reference 1: NLTK's corpus_bleu, where its definition coincides with sacreBLEU's (whitespace tokens, no
// smoothing, uniform weights, closest reference length with ties to the shorter).
// Reference 2: the 13a tokenizer above, so JS and Python regex semantics are compared.
const PY = `
import json, re, sys
from nltk.translate.bleu_score import corpus_bleu
d = json.load(sys.stdin)
bleu = [corpus_bleu([[r.split() for r in refs] for refs in c["refs"]], [h.split() for h in c["hyps"]]) * 100
        for c in d["bleu"]]
${PY_13A}
print(json.dumps({"bleu": bleu, "tok": [" ".join(tok(t)) for t in d["tok"]]}))
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

// Reference 3: sacreBLEU 2.x's corpus BLEU written out in Python (sacrebleu/metrics/base.py `_cache_references`
// drops only `None` references and keeps '' as a reference of length 0; bleu.py `_get_closest_ref_len` takes the
// closest length, the shorter on ties; `compute_bleu` with 'exp' smoothing and optional effective order), on
// top of the 13a tokenizer above run by Python's `re`.
const SACRE_PY = `
import json, math, re, sys
from collections import Counter
${PY_13A}
def ngrams(t):
    c = Counter()
    for n in range(1, 5):
        for i in range(len(t) - n + 1): c[tuple(t[i:i + n])] += 1
    return c
def bleu(hyps, rows, eff):
    sys_len = ref_len = 0; correct = [0] * 4; total = [0] * 4
    for h, refs in zip(hyps, rows):
        refs = [tok(r) for r in (refs if isinstance(refs, list) else [refs]) if r is not None]
        ht = tok(h)
        best = None
        for r in refs:
            d = abs(len(ht) - len(r))
            if best is None or d < best[0] or (d == best[0] and len(r) < best[1]): best = (d, len(r))
        sys_len += len(ht); ref_len += best[1]
        m = Counter()
        for r in refs:
            for g, c in ngrams(r).items(): m[g] = max(m[g], c)
        for g, c in ngrams(ht).items():
            total[len(g) - 1] += c; correct[len(g) - 1] += min(c, m[g])
    bp = 1.0 if sys_len >= ref_len else (math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0)
    if not any(correct): return 0.0
    p = [0.0] * 4; smooth = 1; order = 4
    for n in range(1, 5):
        if total[n - 1] == 0: break
        if eff: order = n
        if correct[n - 1] == 0:
            smooth *= 2; p[n - 1] = 100.0 / (smooth * total[n - 1])
        else: p[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    return bp * math.exp(sum(math.log(x) if x > 0 else -9999999999 for x in p[:order]) / order)
print(json.dumps([bleu(c["hyps"], c["refs"], c["eff"]) for c in json.load(sys.stdin)]))
`;

test("corpus BLEU with empty and missing references agrees with sacreBLEU's algorithm in Python", () => {
  const rand = seededRandom(13);
  const cases = Array.from({ length: 40 }, (_, k) => {
    const rows = 1 + Math.floor(rand() * 6);
    const refs = Array.from({ length: rows }, () => {
      const base = sentence(rand, 3 + Math.floor(rand() * 10), true);
      const row: (string | null)[] = Array.from({ length: 1 + Math.floor(rand() * 3) }, () =>
        rand() < 0.3 ? "" : mutate(rand, base),
      );
      // Now and then a missing reference beside the others, as sacreBLEU's variable-reference streams have.
      if (rand() < 0.2) row.splice(Math.floor(rand() * row.length), 0, null);
      return row;
    });
    const hyps = refs.map((r) => {
      const first = r.find((x) => x !== null && x !== "") ?? "";
      return rand() < 0.15 ? "" : mutate(rand, first || sentence(rand, 3, false));
    });
    return { hyps, refs, eff: k % 2 === 1 };
  });
  assert.ok(
    cases.some((c) => c.refs.some((r) => r.includes(""))),
    "the generated cases contain empty references",
  );
  const expected = runPython<number[]>(SACRE_PY, cases);
  let nonZero = 0;
  cases.forEach((c, i) => {
    const ours = corpusBleu({ predictions: c.hyps, references: c.refs, effectiveOrder: c.eff }).score;
    if (expected[i] > 0) nonZero++;
    assert.ok(
      Math.abs(ours - expected[i]) <= 1e-9 * Math.max(1, expected[i]),
      `case ${i}: ours ${ours}, sacreBLEU ${expected[i]} (${JSON.stringify(c)})`,
    );
  });
  assert.ok(nonZero >= 20, `only ${nonZero} cases scored above 0`);
});
