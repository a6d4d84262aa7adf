/**
 * Measures the README demo's target: LoRA fine-tuning of the embedded tiny Llama on the pronunciation data in
 * `assets/demo-data`, with the held-out answer perplexity (and greedy exact match / phoneme error rate) before
 * and after. Drives `createCausalLmStep` directly, so its numbers are what `Experiment` should reproduce.
 *
 *     npx tsx examples/pretrain/finetune-demo.ts [--model assets/tiny-llama] [--steps 600] [--r 16]
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { type Batch, Dataset, type TokenizedDataset } from "../../sdk/data";
import { Backbone, type Tokenizer } from "../../sdk/models";
import { batchFeeds, createCausalLmStep, editDistance } from "../../sdk/train";

type TrainStep = Awaited<ReturnType<typeof createCausalLmStep>>["step"];

/** Held-out quality of the answers. */
export interface DemoScores {
  /** exp(mean cross-entropy over answer tokens, `<|im_end|>` included). */
  perplexity: number;
  /** Share of words whose greedy answer equals the dictionary's. */
  exactMatch: number;
  /** Phoneme error rate of the greedy answers: edit distance / reference length, over all words (lower is better). */
  phonemeErrorRate: number;
}

async function answerPerplexity(step: TrainStep, batches: readonly Batch[]): Promise<number> {
  let sum = 0;
  let count = 0;
  for (const b of batches) {
    sum += (await step.evaluate(batchFeeds(b, 0))).loss * b.numTargetTokens;
    count += b.numTargetTokens;
  }
  return Math.exp(sum / count);
}

/** Greedy decoding with full forwards (the tiny model makes this cheap). */
async function greedyAnswer(
  backbone: Backbone,
  tok: Tokenizer,
  prompt: string,
  maxNew = 24,
): Promise<string> {
  const text = tok.applyChatTemplate([{ role: "user", content: prompt }], { addGenerationPrompt: true });
  const ids = tok.encode(text, { addSpecialTokens: false });
  const stop = new Set(tok.eosTokenIds);
  const out: number[] = [];
  for (let i = 0; i < maxNew; i++) {
    const { dims, data } = await backbone.logits([[...ids, ...out]]);
    const V = dims[2];
    const last = data.subarray((dims[1] - 1) * V, dims[1] * V);
    let best = 0;
    for (let k = 1; k < V; k++) if (last[k] > last[best]) best = k;
    if (stop.has(best)) break;
    out.push(best);
  }
  return tok.decode(out).trim();
}

async function generationScores(
  backbone: Backbone,
  rows: readonly { prompt: string; answer: string }[],
): Promise<{ exactMatch: number; phonemeErrorRate: number }> {
  const tok = backbone.modelDir.tokenizer;
  if (!tok) throw new Error("the model has no tokenizer");
  let exact = 0;
  let errors = 0;
  let phonemes = 0;
  for (const r of rows) {
    const got = (await greedyAnswer(backbone, tok, r.prompt)).split(/\s+/);
    const want = r.answer.split(" ");
    if (got.join(" ") === r.answer) exact++;
    errors += editDistance(got.filter(Boolean), want);
    phonemes += want.length;
  }
  return { exactMatch: exact / rows.length, phonemeErrorRate: errors / phonemes };
}

async function scores(
  step: TrainStep,
  backbone: Backbone,
  validation: readonly Batch[],
  rows: readonly { prompt: string; answer: string }[],
): Promise<DemoScores> {
  await backbone.updateParameters(new Map(Object.entries(step.exportState().params)));
  return {
    perplexity: await answerPerplexity(step, validation),
    ...(await generationScores(backbone, rows)),
  };
}

function lrAt(peak: number, step: number, total: number, warmup: number): number {
  if (step <= warmup) return (peak * step) / warmup;
  return peak * 0.5 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, total - warmup)));
}

async function loadData(dir: string, tokenizer: Tokenizer) {
  const read = async (file: string) =>
    (await Dataset.fromJsonl(path.join(dir, file))).columns({ prompt: "prompt", answer: "answer" });
  const trainSet = (await read("train.jsonl")).tokenize({ tokenizer, maxLength: 64 });
  const valData = await read("validation.jsonl");
  const valSet: TokenizedDataset = valData.tokenize({ tokenizer, maxLength: 64 });
  const rows = (await readFile(path.join(dir, "validation.jsonl"), "utf8"))
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { prompt: string; answer: string });
  return { trainSet, valSet, rows };
}

async function main(): Promise<void> {
  const num = (v: string) => Number(v);
  const a = new Command()
    .option("--model <dir>", "base model", "assets/tiny-llama")
    .option("--data <dir>", "demo data", "assets/demo-data")
    .option("--steps <n>", "optimizer steps", num, 600)
    .option("--batch-size <n>", "rows per step", num, 16)
    .option("--lr <x>", "peak learning rate", num, 3e-3)
    .option("--r <n>", "LoRA rank", num, 16)
    .option("--generate <n>", "held-out words scored by greedy generation", num, 100)
    .parse(process.argv)
    .opts();
  const t0 = performance.now();
  const lora = { r: a.r, alpha: 2 * a.r, targetModules: "all-linear" as const };
  const backbone = await Backbone.load(a.model, { lora });
  const tokenizer = backbone.modelDir.tokenizer;
  if (!tokenizer) throw new Error("the model has no tokenizer");
  const { trainSet, valSet, rows } = await loadData(a.data, tokenizer);
  const validation = [...valSet.batches({ batchSize: 32, shuffle: false })];
  const { step } = await createCausalLmStep({ backbone, maxGradNorm: 1, optimizer: { weightDecay: 0 } });
  const scored = rows.slice(0, a.generate);
  const before = await scores(step, backbone, validation, scored);
  console.log(`before: ${JSON.stringify(before)}`);
  const t1 = performance.now();
  let done = 0;
  for (let epoch = 0; done < a.steps; epoch++) {
    for (const batch of trainSet.batches({ batchSize: a.batchSize, seed: 0, epoch, dropLast: true })) {
      if (done >= a.steps) break;
      done++;
      const { loss } = await step.step(batchFeeds(batch, done), { lr: lrAt(a.lr, done, a.steps, 10) });
      if (done % 25 === 0) console.log(`step ${done}/${a.steps}  loss ${loss.toFixed(3)}`);
    }
  }
  const trainSeconds = (performance.now() - t1) / 1000;
  const after = await scores(step, backbone, validation, scored);
  console.log(`after: ${JSON.stringify(after)}`);
  const total = (performance.now() - t0) / 1000;
  console.log(`training ${trainSeconds.toFixed(1)}s for ${a.steps} steps; whole script ${total.toFixed(1)}s`);
  await backbone.dispose();
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
