/**
 * The logits processors agree with Hugging Face's (re-implemented from transformers' logits_process.py in
 * PyTorch, test/reference/hf_generate.py) on random scores: same −∞ pattern, values within float32 rounding;
 * the sampler draws from the processed distribution (empirical frequencies) and is deterministic per seed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { hfLogitsProcessors, type ProcessorCase } from "../../../test/reference/hf-generate";
import { seededRandom } from "../../util";
import {
  applyRepetitionPenalty,
  applyTemperature,
  argmax,
  sampleToken,
  softmax,
  suppressTokens,
  topKFilter,
  topPFilter,
} from "./logits-processors";

function randomScores(seed: number, V: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: V }, () => (r() - 0.5) * 8);
}

function ours(c: ProcessorCase): Float32Array {
  const s = Float32Array.from(c.scores);
  applyRepetitionPenalty(s, c.ids ?? [], c.penalty ?? 1);
  suppressTokens(s, c.suppress ?? []);
  applyTemperature(s, c.temperature ?? 1);
  topKFilter(s, c.top_k ?? 0);
  topPFilter(s, c.top_p ?? 1);
  return s;
}

test("processors match Hugging Face semantics (penalty, suppression, temperature, top-k, top-p)", async () => {
  const cases: ProcessorCase[] = [
    { scores: randomScores(1, 64), ids: [3, 3, 10, 63, 0], penalty: 1.3 },
    { scores: randomScores(2, 64), suppress: [5, 7], temperature: 0.7 },
    { scores: randomScores(3, 64), top_k: 5 },
    { scores: randomScores(4, 64), top_p: 0.8 },
    { scores: randomScores(5, 64), top_p: 0.01 },
    { scores: randomScores(6, 300), ids: [1, 2, 250], penalty: 0.8, temperature: 1.7, top_k: 40, top_p: 0.9 },
    { scores: [1, 1, 1, 2, 0.5], top_k: 2 }, // ties with the k-th score are kept
  ];
  const ref = await hfLogitsProcessors(cases);
  for (const [i, c] of cases.entries()) {
    const mine = ours(c);
    const expected = ref.scores[i];
    let kept = 0;
    for (let v = 0; v < expected.length; v++) {
      const e = expected[v];
      if (e === null)
        assert.equal(mine[v], Number.NEGATIVE_INFINITY, `case ${i}, token ${v} should be removed`);
      else {
        kept++;
        assert.ok(
          Math.abs(mine[v] - e) <= 1e-5 * Math.max(1, Math.abs(e)),
          `case ${i}, token ${v}: ${mine[v]} vs ${e}`,
        );
      }
    }
    assert.ok(kept > 0, `case ${i}: nothing kept`);
    const probs = softmax(mine);
    for (let v = 0; v < probs.length; v++) assert.ok(Math.abs(probs[v] - ref.probs[i][v]) < 1e-6);
  }
  assert.ok(ref.scores[2].filter((v) => v !== null).length === 5, "top-k kept k tokens");
  assert.ok(ref.scores[6].filter((v) => v !== null).length === 4, "top-k keeps ties");
});

test("sampling draws from the processed distribution, deterministically per seed", () => {
  const scores = Float32Array.from([0, Math.log(2), Math.log(3), Number.NEGATIVE_INFINITY]);
  const counts = [0, 0, 0, 0];
  const random = seededRandom(7);
  const N = 30000;
  for (let i = 0; i < N; i++) counts[sampleToken(scores, random)]++;
  assert.equal(counts[3], 0, "a removed token is never drawn");
  for (const [v, p] of [1 / 6, 2 / 6, 3 / 6].entries()) {
    assert.ok(Math.abs(counts[v] / N - p) < 0.015, `token ${v}: ${counts[v] / N} vs ${p}`);
  }
  const draw = (seed: number) => {
    const r = seededRandom(seed);
    return Array.from({ length: 20 }, () => sampleToken(scores, r));
  };
  assert.deepEqual(draw(3), draw(3));
  assert.notDeepEqual(draw(3), draw(4));
  assert.equal(argmax(Float32Array.from([1, 5, 5, 2])), 1, "first maximum, as torch.argmax");
});
