/**
 * Packing benchmark (issue 16, item 6; not a test): training throughput in real (non-padding) tokens per second
 * with and without `training.packing`, on the README demo as `examples/demo.ts` sets it up (the embedded
 * `assets/tiny-llama`, `assets/demo-data`, chat template, max length 64, LoRA r 16 on all linear modules,
 * batch size 16, learning rate 3e-3, seed 42).
 *
 *   npm run bench:packing -- [--quick] [--max-length 64] [--packed-batch-size 16] [--threads 0]
 *                            [--fit] [--rounds 1] [--json out.json]
 *
 * Default: the trainer's own step (`createCausalLmStep`, with and without `packing`) over one epoch of the
 * trainer's own batches of each setting, the two interleaved step by step (whichever is behind in its epoch
 * goes next), so a shared machine's load falls on both alike. `--fit` instead runs a whole `fit()` per setting,
 * alternately, `--rounds` times, and adds the held-out perplexity after the epoch (what the epoch learned).
 * Tokens/s = Σ real tokens / Σ step seconds, the first 5 steps of each setting excluded as warm-up. Also: the
 * share of the batches' B·T positions that are padding.
 *
 * `--max-length` changes `tokenizer.max_length`, which is also the packed row length (the demo's 64 is less than
 * twice its mean sample, so a row rarely holds two samples). `--packed-batch-size` sets the packed setting's rows
 * per batch: a packed row holds several samples, so fewer rows keep the samples per optimizer step (and the
 * number of steps an epoch takes) comparable. Dimension letters: B batch rows, T row length.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import {
  Backbone,
  type Batch,
  Dataset,
  type EvalEvent,
  Experiment,
  LoRAConfig,
  Metrics,
  type StepEvent,
} from "../../sdk";
import { batchFeeds, createCausalLmStep, tokenizeOptions, trainingTokenizer } from "../../sdk/train";
import { repoRoot } from "./shapes";

interface BenchOptions {
  quick: boolean;
  maxLength: number;
  packedBatchSize: number;
  threads: number;
  fit: boolean;
  rounds: number;
  json?: string;
}

interface Measurement {
  packing: boolean;
  batchSize: number;
  steps: number;
  realTokens: number;
  /** Share of the batches' B·T positions that are padding. */
  paddingShare: number;
  tokensPerSecond: number;
  /** Σ step seconds over the epoch. */
  stepSeconds: number;
  /** Held-out perplexity after the epoch (`--fit` only). */
  perplexity?: number;
}

const WARMUP_STEPS = 5;
const SETTINGS = [false, true] as const;

const LORA = { r: 16, alpha: 32, dropout: 0, targetModules: "all-linear" as const };
const demoModel = () => path.join(repoRoot(), "assets/tiny-llama");

/** The demo's experiment with this packing setting (nothing loaded until `fit()`), and its data. */
async function demoExperiment(packing: boolean, o: BenchOptions, backbone: Backbone | string) {
  const root = repoRoot();
  const all = await Dataset.fromJsonl(path.join(root, "assets/demo-data/train.jsonl"));
  const data = (o.quick ? all.sample({ fraction: 0.1, seed: 1 }) : all)
    .columns({ prompt: "prompt", answer: "answer" })
    .validation({ file: path.join(root, "assets/demo-data/validation.jsonl") });
  const exp = Experiment.create({
    name: `bench-packing-${packing}`,
    root: path.join(os.tmpdir(), "tunebook-bench"),
  })
    .backbone(backbone)
    .dataset(data, { useChatTemplate: true })
    .tokenizer({ maxLength: o.maxLength })
    .lora(new LoRAConfig(LORA))
    .train({
      epochs: 1,
      batchSize: packing ? o.packedBatchSize : 16,
      learningRate: 3e-3,
      warmupEpochs: 0.05,
      packing,
    })
    .environment({ seed: 42, threads: o.threads })
    .metrics(Metrics.perplexity());
  return { exp, data };
}

/** Epoch 0's batches exactly as the trainer makes them for this experiment. */
async function epochBatches(exp: Experiment, backbone: Backbone, data: Dataset): Promise<Batch[]> {
  const config = exp.config;
  const { train } = await data.prepare({
    tokenizer: trainingTokenizer(backbone),
    ...tokenizeOptions(config),
  });
  const t = config.training;
  const seed = t.seed ?? config.environment.seed;
  return [...train.batches({ batchSize: t.batchSize, seed, epoch: 0, packing: t.packing })];
}

function summarize(packing: boolean, batches: readonly Batch[], seconds: readonly number[]): Measurement {
  const real = batches.reduce((n, b) => n + b.numTokens, 0);
  const positions = batches.reduce((n, b) => n + b.batchSize * b.seqLen, 0);
  const steadyTokens = batches.slice(WARMUP_STEPS).reduce((n, b) => n + b.numTokens, 0);
  const steadySeconds = seconds.slice(WARMUP_STEPS).reduce((a, b) => a + b, 0);
  return {
    packing,
    batchSize: batches[0].batchSize,
    steps: batches.length,
    realTokens: real,
    paddingShare: 1 - real / positions,
    tokensPerSecond: steadyTokens / steadySeconds,
    stepSeconds: seconds.reduce((a, b) => a + b, 0),
  };
}

/** Both settings' steps over one epoch, interleaved so that each is equally far through its epoch. */
async function interleavedSteps(o: BenchOptions): Promise<Measurement[]> {
  const runs: {
    packing: boolean;
    backbone: Backbone;
    batches: Batch[];
    step: Awaited<ReturnType<typeof createCausalLmStep>>["step"];
    seconds: number[];
  }[] = [];
  for (const packing of SETTINGS) {
    // The trainer's step on a backbone with the demo's fresh LoRA adapters (the experiment only sets the data up).
    const backbone = await Backbone.load(demoModel(), { lora: LORA, threads: o.threads || undefined });
    const { exp, data } = await demoExperiment(packing, o, demoModel());
    const batches = await epochBatches(exp, backbone, data);
    const { step } = await createCausalLmStep({
      backbone,
      packing,
      maxGradNorm: 1,
      fileName: `bench-packing-${packing}.onnx`,
    });
    runs.push({ packing, backbone, batches, step, seconds: [] });
  }
  const progress = (r: (typeof runs)[number]) => r.seconds.length / r.batches.length;
  for (;;) {
    const open = runs.filter((r) => r.seconds.length < r.batches.length);
    if (open.length === 0) break;
    const r = open.reduce((a, b) => (progress(b) < progress(a) ? b : a));
    const batch = r.batches[r.seconds.length];
    const start = performance.now();
    await r.step.step(batchFeeds(batch, r.seconds.length), { lr: 3e-3 });
    r.seconds.push((performance.now() - start) / 1000);
  }
  const out = runs.map((r) => summarize(r.packing, r.batches, r.seconds));
  for (const r of runs) {
    await r.step.release();
    await r.backbone.dispose();
  }
  return out;
}

/** One whole `fit()` of a setting, with its step events' tokens/s and the held-out perplexity after it. */
async function fitRun(packing: boolean, o: BenchOptions): Promise<Measurement> {
  const backbone = await Backbone.load(demoModel());
  const { exp, data } = await demoExperiment(packing, o, backbone);
  const batches = await epochBatches(exp, backbone, data);
  const steps: StepEvent[] = [];
  const evals: EvalEvent[] = [];
  const run = await exp.fit({
    display: false,
    callbacks: [{ onStep: (e) => void steps.push(e), onEval: (e) => void evals.push(e) }],
  });
  await run.backbone.dispose();
  if (run.status !== "completed") throw run.error ?? new Error(`run ${run.status}`);
  const m = summarize(
    packing,
    batches,
    steps.map((e) => e.tokens / e.tokensPerSecond),
  );
  return { ...m, perplexity: (evals.at(-1) as EvalEvent).metrics.perplexity };
}

async function main(): Promise<void> {
  const o = new Command()
    .option("--quick", "a tenth of the training data", false)
    .option("--max-length <n>", "tokenizer.max_length, the packed row length (the demo's: 64)", Number, 64)
    .option("--packed-batch-size <n>", "rows per batch of the packed setting (the demo's: 16)", Number, 16)
    .option("--threads <n>", "onnxruntime threads (0: its default)", Number, 0)
    .option("--fit", "whole fit() runs, alternately, with the held-out perplexity after the epoch", false)
    .option("--rounds <n>", "with --fit: runs of each setting", Number, 1)
    .option("--json <file>", "write the measurements as JSON")
    .parse()
    .opts<BenchOptions>();
  const results: Measurement[] = [];
  if (!o.fit) results.push(...(await interleavedSteps(o)));
  else
    for (let r = 0; r < o.rounds; r++) for (const packing of SETTINGS) results.push(await fitRun(packing, o));
  for (const m of results) {
    console.log(
      `max length ${o.maxLength}, packing ${String(m.packing).padEnd(5)} batch ${String(m.batchSize).padStart(2)}  ` +
        `${String(m.steps).padStart(4)} steps  ${m.realTokens} real tokens  padding ${(100 * m.paddingShare).toFixed(0)}%  ` +
        `${m.tokensPerSecond.toFixed(0)} real tokens/s  steps ${m.stepSeconds.toFixed(1)} s` +
        (m.perplexity === undefined ? "" : `  held-out perplexity ${m.perplexity.toFixed(2)}`),
    );
  }
  const best = (packing: boolean) =>
    Math.max(...results.filter((m) => m.packing === packing).map((m) => m.tokensPerSecond));
  console.log(`packing's speed-up in real tokens/s: ${(best(true) / best(false)).toFixed(2)}×`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
