/**
 * Search benchmark (issue 17, Measured; not a test): on the demo task (the embedded tiny Llama, a sample of the
 * pronunciation data), the best validation loss found by grid search, random search and TPE + ASHA, and the
 * training tokens each spent to reach the grid's best. Tokens, not seconds, are the budget, so the figures do
 * not depend on the machine's load.
 *
 *   npm run -s build && node dist/bench/automl/search-efficiency.js [--fraction 0.05] [--seeds 2] [--json out.json]
 *
 * Space: learning rate ∈ {3e-4, 1e-3, 3e-3, 1e-2} × LoRA r ∈ {4, 8, 16} (grid: 12 trials); random and TPE draw
 * the learning rate log-uniformly in [3e-4, 1e-2] and r from the same list, with the grid's total tokens as
 * their budget. TPE: 4 random start-up trials; ASHA: grace period 4 steps, η = 3.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  AshaPruner,
  runSearch,
  type SamplerContext,
  type SearchOptions,
  type SearchResult,
  Space,
  TpeSampler,
} from "../../sdk/automl";
import { Dataset } from "../../sdk/data";
import { Experiment, LoRAConfig } from "../../sdk/train";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

/** Tokens spent until the search first reached `target` (Infinity when it never did). */
function tokensToReach(result: SearchResult, target: number): number {
  let spent = 0;
  for (const t of result.trials) {
    // Within a trial, tokens grow with the steps; count the trial up to its evaluation that reached the target.
    const hit = t.curve.find(([, v]) => v <= target);
    const steps = t.curve.at(-1)?.[0] ?? 1;
    if (hit) return spent + (t.tokens * hit[0]) / steps;
    spent += t.tokens;
  }
  return Number.POSITIVE_INFINITY;
}

async function main(): Promise<void> {
  const fraction = arg("fraction", 0.05);
  const seeds = arg("seeds", 2);
  const root = path.join(os.tmpdir(), `tunebook-bench-search-${process.pid}`);
  const data = (await Dataset.fromJsonl(path.resolve("assets/demo-data/train.jsonl")))
    .sample({ fraction, seed: 1 })
    .columns({ prompt: "prompt", answer: "answer" })
    .validation({ size: 0.2, seed: 1 });
  const base = Experiment.create({ name: "base", root })
    .backbone(path.resolve("assets/tiny-llama"))
    .dataset(data, { useChatTemplate: true })
    .tokenizer({ maxLength: 64 })
    .lora(new LoRAConfig({ r: 8, alpha: 16, targetModules: "all-linear" }))
    .train({ epochs: 2, batchSize: 16, evaluationEpochs: 0.25 })
    .environment({ seed: 42 });
  const lrList = [3e-4, 1e-3, 3e-3, 1e-2];
  const ranks = [4, 8, 16];
  const grid = await runSearch(base, {
    space: { "training.learning_rate": lrList, "lora.r": ranks },
    strategy: "grid",
    root,
    name: "grid",
  });
  const gridTokens = grid.trials.reduce((a, t) => a + t.tokens, 0);
  const gridBest = grid.best?.value ?? Number.NaN;
  const rows: Record<string, unknown>[] = [
    {
      strategy: "grid",
      seed: "-",
      best: gridBest,
      tokens: gridTokens,
      to_grid_best: tokensToReach(grid, gridBest),
    },
  ];
  const space = { "training.learning_rate": Space.logUniform(3e-4, 1e-2), "lora.r": ranks };
  for (let seed = 0; seed < seeds; seed++) {
    const strategies: [string, Partial<SearchOptions>][] = [
      ["random", { strategy: "random" as const }],
      [
        "tpe+asha",
        {
          strategy: (c: SamplerContext) => new TpeSampler(c, { startupTrials: 4 }),
          pruner: new AshaPruner({ gracePeriod: 4, reductionFactor: 3 }),
        },
      ],
    ];
    for (const [label, options] of strategies) {
      const r = await runSearch(base, {
        space,
        ...options,
        budget: { tokens: gridTokens, trials: 100 },
        seed,
        root,
        name: `${label}-${seed}`,
      });
      const spent = r.trials.reduce((a, t) => a + t.tokens, 0);
      rows.push({
        strategy: label,
        seed,
        best: r.best?.value ?? Number.NaN,
        tokens: spent,
        trials: r.trials.length,
        pruned: r.trials.filter((t) => t.state === "pruned").length,
        to_grid_best: tokensToReach(r, gridBest),
      });
    }
  }
  console.log(
    `\nsearch efficiency on the demo task (${fraction} of the data, grid of ${grid.trials.length}, budget ${gridTokens} tokens)`,
  );
  console.log(
    "strategy   seed  best val loss  tokens     trials  pruned  tokens to grid's best (fraction of grid)",
  );
  for (const r of rows) {
    const reach = r.to_grid_best as number;
    console.log(
      `${String(r.strategy).padEnd(10)} ${String(r.seed).padEnd(5)} ${(r.best as number).toFixed(4).padEnd(14)} ${String(r.tokens).padEnd(10)} ${String(r.trials ?? grid.trials.length).padEnd(7)} ${String(r.pruned ?? 0).padEnd(7)} ${Number.isFinite(reach) ? `${Math.round(reach)} (${(reach / gridTokens).toFixed(2)})` : "not reached"}`,
    );
  }
  const out = process.argv.indexOf("--json");
  if (out > 0) writeFileSync(process.argv[out + 1]!, JSON.stringify(rows, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
