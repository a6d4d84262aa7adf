/**
 * What a GRPO step costs on the embedded demo model (`assets/tiny-llama`): per optimizer step, the time spent
 * generating the group of completions (loading the trained values, compiling the KV-cache decoder for them,
 * decoding), scoring them, and the update (the fused step over prompt + completion); the reward curve's start
 * and end; and the peak RSS. The reward is the demo's format reward: the share of the completion written in the
 * phoneme alphabet (capitals, digits, spaces).
 *
 *     npm run -s build && node dist/bench/train/grpo-cost.js [--steps 24] [--prompts 2] [--generations 8] [--length 16]
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Dataset } from "../../sdk/data";
import { Backbone } from "../../sdk/models";
import { Experiment, type StepEvent } from "../../sdk/train";

const { values: a } = parseArgs({
  options: {
    steps: { type: "string", default: "24" },
    prompts: { type: "string", default: "2" },
    generations: { type: "string", default: "8" },
    length: { type: "string", default: "16" },
  },
});
const steps = Number(a.steps);
const prompts = Number(a.prompts);
const generations = Number(a.generations);
const length = Number(a.length);

const rows = readFileSync(path.resolve("assets/demo-data/train.jsonl"), "utf8")
  .trim()
  .split("\n")
  .slice(0, steps * prompts)
  .map((l) => JSON.parse(l) as Record<string, string>);
const phonemeAlphabet = (c: string) =>
  c.length ? [...c].filter((ch) => /[A-Z0-9 ]/.test(ch)).length / c.length : 0;

async function main(): Promise<void> {
  const events: StepEvent[] = [];
  const run = await Experiment.create({ root: path.join(os.tmpdir(), "tunebook-grpo-bench") })
    .backbone(path.resolve("assets/tiny-llama"))
    .dataset(Dataset.fromRecords(rows).columns({ prompt: "prompt", answer: "answer" }), {
      useChatTemplate: true,
    })
    .lora({ r: 8, alpha: 16, targetModules: "all-linear", dropout: 0 })
    .problem("grpo", { rewards: [phonemeAlphabet], numGenerations: generations, maxCompletionLength: length })
    .train({ epochs: 1, batchSize: prompts, learningRate: 1e-2, saveCheckpoint: "disable" })
    .environment({ seed: 1 })
    .set({ "dataset.validation_size": 0 })
    .fit({ display: false, callbacks: [{ onStep: (e) => void events.push(e) }] });
  await run.backbone.dispose();
  if (run.status !== "completed") throw run.error ?? new Error(run.status);
  const rowsOut = events.map((e) => {
    const total = e.tokens / e.tokensPerSecond;
    const m = e.metrics ?? {};
    return {
      step: e.step,
      reward: m.reward,
      completionTokens: m.completion_length,
      generation: m.generation_seconds,
      rewards: m.reward_seconds,
      update: total - m.generation_seconds - m.reward_seconds,
      total,
    };
  });
  const decoder = await decoderCompileShare();
  const mean = (k: keyof (typeof rowsOut)[number], xs = rowsOut) =>
    xs.reduce((s, r) => s + r[k], 0) / xs.length;
  const timed = rowsOut.slice(1); // the first step also compiles the step session
  const quarter = Math.max(1, Math.floor(rowsOut.length / 4));
  console.log(
    JSON.stringify(
      {
        setup: {
          steps,
          prompts,
          generations,
          maxCompletionLength: length,
          completionsPerStep: prompts * generations,
        },
        secondsPerStep: {
          generation: mean("generation", timed),
          rewards: mean("rewards", timed),
          update: mean("update", timed),
          total: mean("total", timed),
        },
        generationShare: mean("generation", timed) / mean("total", timed),
        generationBreakdown: decoder,
        meanCompletionTokens: mean("completionTokens"),
        reward: {
          firstQuarter: mean("reward", rowsOut.slice(0, quarter)),
          lastQuarter: mean("reward", rowsOut.slice(-quarter)),
        },
        curve: rowsOut.map((r) => Number(r.reward.toFixed(3))),
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      },
      null,
      2,
    ),
  );
}

/**
 * One step's generation split: the KV-cache decoder compiled for new trained values (the first call after
 * `updateParameters`) against the same call with the session already compiled.
 */
async function decoderCompileShare(): Promise<{ firstCall: number; compiledCall: number }> {
  const backbone = await Backbone.load(path.resolve("assets/tiny-llama"), {
    lora: { r: 8, alpha: 16, targetModules: "all-linear" },
  });
  try {
    const tok = backbone.modelDir.tokenizer!;
    const ids = tok.encode(rows[0].prompt, { addSpecialTokens: false });
    const inputIds = Array.from({ length: prompts * generations }, () => ids);
    const opts = {
      inputIds,
      maxNewTokens: length,
      minNewTokens: length,
      doSample: true,
      temperature: 1,
      seed: 1,
    };
    await backbone.updateParameters(new Map());
    let t = performance.now();
    await backbone.generate(opts);
    const firstCall = (performance.now() - t) / 1000;
    t = performance.now();
    await backbone.generate(opts);
    return { firstCall, compiledCall: (performance.now() - t) / 1000 };
  } finally {
    await backbone.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
