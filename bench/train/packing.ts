/**
 * Packing benchmark (issue 16, item 6; not a test): training throughput in real (non-padding) tokens per second
 * with and without `training.packing`, on the README demo exactly as `examples/demo.ts` runs it (the embedded
 * `assets/tiny-llama`, `assets/demo-data`, chat template, max length 64, LoRA r 16 on all linear modules,
 * batch size 16, learning rate 3e-3, one epoch, seed 42), each setting in its own `fit()`, alternately.
 *
 *   npm run bench:packing -- [--quick] [--rounds 1] [--threads 0] [--max-length 64] [--json out.json]
 *
 * `--max-length` changes `tokenizer.max_length`, which is also the packed row length (the demo's 64 is less
 * than twice its mean sample, so a row rarely holds two samples).
 * Tokens/s = Σ real tokens of the step events / Σ step seconds (the first 5 steps excluded as warm-up), so it
 * counts what the model learns from, not the padding. Also: steps, the epoch's wall time (steps only, no
 * validation) and the held-out perplexity after the epoch (packing must train as well per epoch).
 * Dimension letters: B batch rows, T row length.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import {
  Backbone,
  Dataset,
  type EvalEvent,
  Experiment,
  LoRAConfig,
  Metrics,
  type StepEvent,
} from "../../sdk";
import { repoRoot } from "./shapes";

interface Measurement {
  packing: boolean;
  steps: number;
  realTokens: number;
  tokensPerSecond: number;
  stepSeconds: number;
  perplexity: number;
}

const WARMUP_STEPS = 5;

async function measure(
  packing: boolean,
  o: { quick: boolean; threads: number; maxLength: number },
): Promise<Measurement> {
  const root = repoRoot();
  const backbone = await Backbone.load(path.join(root, "assets/tiny-llama"));
  const train = await Dataset.fromJsonl(path.join(root, "assets/demo-data/train.jsonl"));
  const data = (o.quick ? train.sample({ fraction: 0.1, seed: 1 }) : train)
    .columns({ prompt: "prompt", answer: "answer" })
    .validation({ file: path.join(root, "assets/demo-data/validation.jsonl") });
  const steps: StepEvent[] = [];
  const evals: EvalEvent[] = [];
  const run = await Experiment.create({
    name: `bench-packing-${packing}`,
    root: path.join(os.tmpdir(), "tunebook-bench"),
  })
    .backbone(backbone)
    .dataset(data, { useChatTemplate: true })
    .tokenizer({ maxLength: o.maxLength })
    .lora(new LoRAConfig({ r: 16, alpha: 32, dropout: 0, targetModules: "all-linear" }))
    .train({ epochs: 1, batchSize: 16, learningRate: 3e-3, warmupEpochs: 0.05, packing })
    .environment({ seed: 42, threads: o.threads })
    .metrics(Metrics.perplexity())
    .fit({
      display: false,
      callbacks: [{ onStep: (e) => void steps.push(e), onEval: (e) => void evals.push(e) }],
    });
  await run.backbone.dispose();
  if (run.status !== "completed") throw run.error ?? new Error(`run ${run.status}`);
  const steady = steps.slice(WARMUP_STEPS);
  const tokens = steady.reduce((n, e) => n + e.tokens, 0);
  const seconds = steady.reduce((s, e) => s + e.tokens / e.tokensPerSecond, 0);
  const all = steps.reduce((s, e) => s + e.tokens / e.tokensPerSecond, 0);
  return {
    packing,
    steps: steps.length,
    realTokens: steps.reduce((n, e) => n + e.tokens, 0),
    tokensPerSecond: tokens / seconds,
    stepSeconds: all,
    perplexity: (evals.at(-1) as EvalEvent).metrics.perplexity,
  };
}

async function main(): Promise<void> {
  const o = new Command()
    .option("--quick", "a tenth of the training data", false)
    .option("--rounds <n>", "measurements of each setting, alternately", Number, 1)
    .option("--threads <n>", "onnxruntime threads (0: its default)", Number, 0)
    .option("--max-length <n>", "tokenizer.max_length, the packed row length (the demo's: 64)", Number, 64)
    .option("--json <file>", "write the measurements as JSON")
    .parse()
    .opts<{ quick: boolean; rounds: number; threads: number; maxLength: number; json?: string }>();
  const results: Measurement[] = [];
  for (let r = 0; r < o.rounds; r++) {
    for (const packing of [false, true]) {
      const m = await measure(packing, o);
      results.push(m);
      console.log(
        `max length ${o.maxLength}, packing ${String(packing).padEnd(5)}  ${String(m.steps).padStart(4)} steps  ${m.realTokens} real tokens  ` +
          `${m.tokensPerSecond.toFixed(0)} real tokens/s  steps ${m.stepSeconds.toFixed(1)} s  ` +
          `held-out perplexity ${m.perplexity.toFixed(2)}`,
      );
    }
  }
  const best = (packing: boolean) =>
    Math.max(...results.filter((m) => m.packing === packing).map((m) => m.tokensPerSecond));
  console.log(`speed-up of packing (best of ${o.rounds}): ${(best(true) / best(false)).toFixed(2)}×`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
