/**
 * Our side of bench/train/lora-throughput.ts: loads a backbone with LoRA, builds the trainer's exact step
 * (`createCausalLmStep`: forward, cross-entropy over labelled positions, backward, clipping, AdamW in one
 * onnxruntime session), times it on random token batches, and prints one JSON line. Run by the bench in its
 * own process (not meant to be run by hand, though it can be):
 *
 *   node dist/bench/train/ours-worker.js '{"model":"/tmp/m","threads":2,"batch":8,"seq":256,...}'
 *
 * Dimension letters: B batch, T sequence, V vocabulary.
 */
import { performance } from "node:perf_hooks";
import type { Batch } from "../../sdk/data";
import { Backbone, type BackboneDtype } from "../../sdk/models";
import { batchFeeds, createCausalLmStep } from "../../sdk/train";

/** What the bench passes to a worker (the PyTorch worker gets the same fields as flags). */
export interface WorkerOptions {
  model: string;
  /** Our frozen base dtype (default float32). */
  dtype?: BackboneDtype;
  threads: number;
  batch: number;
  seq: number;
  r: number;
  alpha: number;
  dropout: number;
  targets: string[];
  steps: number;
  warmup: number;
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  /** Ours only: rows per chunk of the fused LM head and loss (absent: the default; 0: plain logits). */
  lossChunkSize?: number;
  /** Recompute each decoder layer in the backward (`architecture.gradient_checkpointing`). */
  gradientCheckpointing: boolean;
  /** Ours only: DoRA adapters (`lora.use_dora`; default false). */
  useDora?: boolean;
}

/** What a worker prints (both implementations). */
export interface WorkerResult {
  impl: "ours" | "pytorch";
  version: string;
  threads: number;
  trainableParams: number;
  loadSeconds: number;
  warmupSeconds: number[];
  stepSeconds: number[];
  losses: number[];
  rssAfterLoadMB: number;
  peakRssMB: number;
}

/**
 * Token ids from a 32-bit LCG (Numerical Recipes constants) that torch_lora_step.py reproduces, so both sides
 * train on the same batches and their first losses (before any update) must agree.
 */
export function lcgTokens(seed: number, count: number, V: number): BigInt64Array {
  let state = seed >>> 0;
  return BigInt64Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return BigInt(state % V);
  });
}

/** Random token rows with real shifted labels (last position unlabelled) and a full attention mask. */
function randomBatch(seed: number, B: number, T: number, V: number, index: number): Batch {
  const inputIds = lcgTokens(seed * 1000 + index, B * T, V);
  const labels = new BigInt64Array(B * T).fill(-100n);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) labels[b * T + t] = inputIds[b * T + t + 1];
  }
  return {
    inputIds,
    labels,
    attentionMask: new BigInt64Array(B * T).fill(1n),
    positionIds: BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T)),
    batchSize: B,
    seqLen: T,
    numTargetTokens: B * (T - 1),
    numTokens: B * T,
    epoch: 0,
    index,
    rows: Array.from({ length: B }, (_, b) => [index * B + b + 1]),
  };
}

const mb = (bytes: number) => bytes / 2 ** 20;

function nonEmpty(names: string[]): [string, ...string[]] {
  if (names.length === 0) throw new Error("no LoRA target modules given");
  return names as [string, ...string[]];
}

async function run(o: WorkerOptions): Promise<WorkerResult> {
  const t0 = performance.now();
  const backbone = await Backbone.load(o.model, {
    threads: o.threads,
    dtype: o.dtype,
    tokenizer: false,
    lora: {
      r: o.r,
      alpha: o.alpha,
      dropout: o.dropout,
      targetModules: nonEmpty(o.targets),
      seed: o.seed,
      useDora: o.useDora ?? false,
    },
  });
  const { step } = await createCausalLmStep({
    backbone,
    optimizer: { weightDecay: o.weightDecay },
    maxGradNorm: o.maxGradNorm,
    lossChunkSize: o.lossChunkSize,
    gradientCheckpointing: o.gradientCheckpointing,
  });
  const loadSeconds = (performance.now() - t0) / 1000;
  const rssAfterLoadMB = mb(process.memoryUsage().rss);
  const V = backbone.config.vocabSize;
  const batches = Array.from({ length: 4 }, (_, i) => randomBatch(o.seed, o.batch, o.seq, V, i));
  const times: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < o.warmup + o.steps; i++) {
    const s0 = performance.now();
    const { loss } = await step.step(batchFeeds(batches[i % batches.length], i), { lr: o.lr });
    times.push((performance.now() - s0) / 1000);
    losses.push(loss);
  }
  const trainableParams = Object.values(step.exportState().params).reduce((n, p) => n + p.length, 0);
  await step.release();
  await backbone.dispose();
  return {
    impl: "ours",
    version: `onnxruntime-node ${require("onnxruntime-node/package.json").version}`,
    threads: o.threads,
    trainableParams,
    loadSeconds,
    warmupSeconds: times.slice(0, o.warmup),
    stepSeconds: times.slice(o.warmup),
    losses,
    rssAfterLoadMB,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

if (require.main === module) {
  run(JSON.parse(process.argv[2] ?? "{}") as WorkerOptions).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
