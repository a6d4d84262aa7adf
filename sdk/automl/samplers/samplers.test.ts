import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../errors";
import { parseSearchSpace, Space } from "../search-space";
import type { TrialParams, TrialRecord } from "../trial";
import { GridSampler } from "./grid-sampler";
import { RandomSampler } from "./random-sampler";
import { TpeSampler } from "./tpe-sampler";

const none = () => undefined;

test("grid: the shuffled Cartesian product, seeded, conditional settings dropped where they do not apply", () => {
  const space = parseSearchSpace({
    "lora.r": [4, 8, 16],
    "training.epochs": [1, 2],
    "lora.alpha": { type: "choice", values: [8, 32], when: { "lora.r": 16 } },
  });
  const grid = new GridSampler({ space, seed: 3, base: none });
  // r ∈ {4, 8} × epochs: 4 combinations; r = 16 × epochs × alpha: 4 more.
  assert.equal(grid.size, 8);
  const all: TrialParams[] = [];
  for (;;) {
    const p = grid.propose(
      all.map((params, number) => ({ number, params, state: "complete", intermediate: new Map() })),
    );
    if (!p) break;
    all.push(p);
  }
  assert.equal(new Set(all.map((p) => JSON.stringify(p))).size, 8);
  for (const p of all) assert.equal("lora.alpha" in p, p["lora.r"] === 16, JSON.stringify(p));
  const again = new GridSampler({ space, seed: 3, base: none });
  assert.deepEqual(again.propose([]), all[0]);
  const orders = [0, 1, 2, 3].map((seed) =>
    JSON.stringify(new GridSampler({ space, seed, base: none }).propose([])),
  );
  assert.ok(new Set(orders).size > 1, "the seed shuffles the order");
  assert.throws(
    () => new GridSampler({ space: parseSearchSpace({ "lora.r": Space.int(4, 8) }), seed: 0, base: none }),
    (e: unknown) => e instanceof ConfigError && /grid search needs a list of values/.test(e.message),
  );
});

test("random: seeded, inside every range, integers inclusive, log ranges uniform in the logarithm", () => {
  const space = parseSearchSpace({
    "training.learning_rate": Space.logUniform(1e-5, 1e-1),
    "lora.r": Space.int(1, 4),
    "lora.dropout": Space.uniform(0, 0.5),
  });
  const a = new RandomSampler({ space, seed: 9, base: none });
  const b = new RandomSampler({ space, seed: 9, base: none });
  const draws = Array.from({ length: 4000 }, () => a.propose());
  assert.deepEqual(b.propose(), draws[0]);
  const lr = draws.map((d) => d["training.learningRate"] as number);
  assert.ok(lr.every((x) => x >= 1e-5 && x <= 1e-1));
  const decades = [0, 0, 0, 0];
  for (const x of lr) decades[Math.min(3, Math.floor(Math.log10(x) + 5))]++;
  for (const n of decades) assert.ok(Math.abs(n - 1000) < 120, `decade counts ${decades}`);
  const r = new Set(draws.map((d) => d["lora.r"]));
  assert.deepEqual([...r].sort(), [1, 2, 3, 4]);
  assert.ok(draws.every((d) => (d["lora.dropout"] as number) >= 0 && (d["lora.dropout"] as number) <= 0.5));
});

/** A synthetic objective with a known optimum 0 at lr = 10^-3.3, dropout = 0.35, r = 16. */
function objective(p: TrialParams): number {
  const lr = Math.log10(p["training.learningRate"] as number) + 3.3;
  const d = ((p["lora.dropout"] as number) - 0.35) * 4;
  const r = p["lora.r"] === 16 ? 0 : 1;
  return lr * lr + d * d + r;
}

function runSearch(sampler: RandomSampler | TpeSampler, n: number): number {
  const history: TrialRecord[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.propose(history);
    history.push({ number: i, params, state: "complete", value: objective(params), intermediate: new Map() });
  }
  return Math.min(...history.map((t) => t.value as number));
}

test("TPE finds a synthetic function's known optimum better than random search with the same budget", () => {
  const space = parseSearchSpace({
    "training.learning_rate": Space.logUniform(1e-6, 1e-1),
    "lora.dropout": Space.uniform(0, 0.9),
    "lora.r": [4, 8, 16, 32, 64],
  });
  const seeds = Array.from({ length: 12 }, (_, i) => i);
  const tpe = seeds.map((seed) => runSearch(new TpeSampler({ space, seed, base: none }), 60));
  const random = seeds.map((seed) => runSearch(new RandomSampler({ space, seed, base: none }), 60));
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
  console.log(
    `# synthetic objective, 60 trials, 12 seeds: median best TPE ${med(tpe).toFixed(4)}, random ${med(random).toFixed(4)}`,
  );
  assert.ok(med(tpe) < med(random) / 2, `TPE ${med(tpe)} vs random ${med(random)}`);
  assert.ok(tpe.filter((v) => v < 0.1).length >= 9, `TPE bests: ${tpe.map((v) => v.toFixed(3))}`);
  // Deterministic: the same seed gives the same search.
  assert.equal(
    runSearch(new TpeSampler({ space, seed: 5, base: none }), 30),
    runSearch(new TpeSampler({ space, seed: 5, base: none }), 30),
  );
});
