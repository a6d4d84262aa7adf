import assert from "node:assert/strict";
import { test } from "node:test";
import { corpusBleu, sentenceBleu, sentenceBleuScores } from "./bleu";
import { computeBleu } from "./bleu-stats";
import { tokenize13a } from "./tokenizer-13a";

// Expected values are sacreBLEU's own test vectors (mjpost/sacrebleu at f615c72: test/test_bleu.py,
// test/test_sentence_bleu.py); 'intl' and 'char' tokenizer cases are left out (not implemented).
const near = (a: number, b: number, eps: number, what: string) =>
  assert.ok(Math.abs(a - b) < eps, `${what}: got ${a}, sacreBLEU ${b}`);

const refs = [
  ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
  ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
];
const hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
// Our API takes references per row; sacreBLEU takes reference streams. Transpose.
const perRow = hyps.map((_, i) => refs.map((stream) => stream[i]));

test("corpus BLEU matches sacreBLEU's test_corpus_bleu vectors", () => {
  near(corpusBleu({ predictions: hyps, references: perRow }).score, 48.530827, 1e-6, "default");
  near(corpusBleu({ predictions: ["", "", ""], references: perRow }).score, 0, 1e-8, "empty hyps");
  near(
    corpusBleu({ predictions: hyps, references: perRow, tokenize: "none" }).score,
    49.1919566,
    1e-6,
    "tok none",
  );
  near(
    corpusBleu({ predictions: hyps, references: perRow, smoothing: "none" }).score,
    48.530827,
    1e-6,
    "none",
  );
});

// sacreBLEU's raw_corpus_bleu: floor smoothing, no tokenization, effective order.
const raw = (h: string[], r: string[], floor?: number) =>
  corpusBleu({
    predictions: h,
    references: r,
    smoothing: "floor",
    smoothValue: floor,
    tokenize: "none",
    effectiveOrder: true,
  });

test("raw corpus BLEU, effective order, offsets and statistics match sacreBLEU", () => {
  // No match at all scores 0 since sacreBLEU 2.0 (#141); older releases gave 0.0038 here.
  near(raw(["this is a test", "another test"], ["ref1", "ref2"], 0.01).score / 100, 0, 1e-8, "raw1");
  near(raw(["this is a test"], ["this is a test"], 0.01).score / 100, 1, 1e-8, "raw2");
  near(raw(["this is a fest"], ["this is a test"], 0.01).score / 100, 0.223606797749979, 1e-8, "raw3");
  near(raw(["test"], ["a test"], 0.01).score / 100, 0.3678794411714425, 1e-8, "eff1");
  near(raw(["a test"], ["a test"], 0.01).score / 100, 1, 1e-8, "eff2");
  near(raw(["a little test"], ["a test"], 0.01).score / 100, 0.03218297948685433, 1e-8, "eff3");
  const h = ["am I am a character sequence"];
  const r = ["I am a symbol string sequence a a"];
  const stats = raw(h, r, 0.01);
  assert.deepEqual(stats.counts, [4, 2, 1, 0]);
  assert.deepEqual(stats.totals, [6, 5, 4, 3]);
  near(raw(h, r, 0).score / 100, 0, 1e-8, "offset 0");
  near(raw(h, r).score / 100, 0.1555722182, 1e-8, "default floor 0.1");
});

test("compute_bleu scoring and degenerate statistics match sacreBLEU", () => {
  const s = { sysLen: 11, refLen: 11, correct: [9, 7, 5, 3], total: [10, 8, 6, 4] };
  near(computeBleu(s, "none", undefined, false).score / 100, 0.8375922397, 1e-8, "scoring");
  const degenerate: [number[], number[], number, number, number][] = [
    [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0],
    [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0],
    [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
    [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
  ];
  for (const [correct, total, sysLen, refLen, floor] of degenerate) {
    assert.equal(computeBleu({ correct, total, sysLen, refLen }, "floor", floor, false).score, 0);
  }
});

test("sentence BLEU matches sacreBLEU's test_sentence_bleu vectors", () => {
  const REF = "producţia de zahăr brut se exprimă în zahăr alb;";
  const SYS = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";
  const cases: [string, number | undefined, "13a" | "none", number][] = [
    ["exp", undefined, "13a", 8.493],
    ["none", undefined, "13a", 0.0],
    ["floor", undefined, "13a", 4.51688],
    ["floor", 0.1, "13a", 4.51688],
    ["floor", 0.5, "13a", 10.1],
    ["add-k", undefined, "13a", 14.882],
    ["add-k", 1, "13a", 14.882],
    ["add-k", 2, "13a", 21.389],
    ["exp", undefined, "none", 7.347],
  ];
  for (const [smoothing, smoothValue, tokenize, expected] of cases) {
    const got = sentenceBleu({
      prediction: SYS,
      references: [REF],
      smoothing: smoothing as "exp",
      smoothValue,
      tokenize,
    });
    near(got.score, expected, 1e-3, `${smoothing} ${smoothValue} ${tokenize}`);
  }
  for (const smoothing of ["exp", "none", "floor", "add-k"] as const) {
    assert.equal(
      sentenceBleu({ prediction: "this is a cat", references: "okay thanks", smoothing }).score,
      0,
    );
  }
});

test("13a tokenizer splits punctuation as mteval-v13a", () => {
  assert.equal(tokenize13a("It wasn't surprising."), "It wasn't surprising .");
  assert.equal(tokenize13a("Pay $3,000.50 in 2019-2020, ok?"), "Pay $ 3,000.50 in 2019 - 2020 , ok ?");
  assert.equal(tokenize13a("a &amp; b &lt;c&gt; &quot;d&quot;"), 'a & b < c > " d "');
});

test("sentence-mean mode scores each row, empty references scoring 0 as H2O LLM Studio does", () => {
  const scores = sentenceBleuScores({ predictions: hyps, references: perRow.map((r) => r[0]).concat() });
  hyps.forEach((h, i) => {
    assert.equal(scores[i], sentenceBleu({ prediction: h, references: perRow[i][0] }).score);
  });
  assert.deepEqual(sentenceBleuScores({ predictions: ["x"], references: [""] }), [0]);
  // A row with a non-empty reference keeps its empty ones, as sacreBLEU's sentence_score does.
  const [withEmpty] = sentenceBleuScores({
    predictions: ["The dog bit the man."],
    references: [["", "The dog bit the man."]],
  });
  near(withEmpty, 100, 1e-9, "a row with '' beside a matching reference");
});

test("an empty reference is a reference of length 0 and a null one is missing, as in sacreBLEU", () => {
  // Row 1: 13a gives 6 tokens, all n-grams match: correct = total = [6, 5, 4, 3]. Row 2: the empty hypothesis
  // adds no n-grams; its references have 0 and 5 tokens ("It was not unexpected ."), the closest is 0.
  // sys_len 6 = ref_len 6 + 0, so bp = 1 and sacreBLEU scores 100. Dropping '' made ref_len 11:
  // 100·exp(1 − 11/6) = 43.46.
  near(
    corpusBleu({
      predictions: ["The dog bit the man.", ""],
      references: [["The dog bit the man."], ["", "It was not unexpected."]],
    }).score,
    100,
    1e-9,
    "'' among several references",
  );
  // A row whose only reference is '': "x" adds one unmatched unigram and ref_len 0. Sums: sys_len 7, ref_len 6,
  // bp = 1; counts [6, 5, 4, 3] of [7, 5, 4, 3]; score 100·(6/7)^(1/4) = 96.2195…
  near(
    corpusBleu({ predictions: ["The dog bit the man.", "x"], references: ["The dog bit the man.", ""] })
      .score,
    100 * (6 / 7) ** 0.25,
    1e-9,
    "only reference ''",
  );
  assert.equal(corpusBleu({ predictions: ["x"], references: [""] }).score, 0);
  assert.equal(sentenceBleu({ prediction: "", references: ["", "a b"] }).score, 0);
  // null is a missing reference (sacreBLEU's None): left out, so it changes nothing.
  assert.deepEqual(
    corpusBleu({ predictions: hyps, references: perRow.map((r) => [null, ...r]) }),
    corpusBleu({ predictions: hyps, references: perRow }),
  );
  assert.throws(() => corpusBleu({ predictions: ["x"], references: [[null]] }), {
    name: "TunebookMetricInputError",
    message: /row 0/,
  });
});
