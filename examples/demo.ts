/**
 * The README demo: LoRA fine-tuning of the embedded tiny Llama (pretrained by this project, assets/tiny-llama)
 * to answer "How is '<word>' pronounced?" with CMU-dictionary phonemes (assets/demo-data), then the held-out
 * answer perplexity before and after, and one generated answer. About a minute or two on 2 CPU cores.
 *
 * Run: `npm run demo` (after `npm install`), or `npx tsx examples/demo.ts [--epochs N] [--quick] [--dtype int8|int4|…]`.
 */
import os from "node:os";
import path from "node:path";
import {
  Backbone,
  type BackboneDtype,
  Dataset,
  type EvalEvent,
  Experiment,
  LoRAConfig,
  Metrics,
} from "../sdk";
import { createProgressRenderer } from "../sdk/cli/progress";

async function main(): Promise<void> {
  const epochs = Number(process.argv[process.argv.indexOf("--epochs") + 1]) || 1;
  const quick = process.argv.includes("--quick"); // CI: a tenth of the data, same code path
  const at = process.argv.indexOf("--dtype"); // float32 (default), bfloat16, float16, int8, int4
  const dtype = (at > 0 ? process.argv[at + 1] : "float32") as BackboneDtype;
  const backbone = await Backbone.load(path.resolve("assets/tiny-llama"), { dtype });
  const train = await Dataset.fromJsonl(path.resolve("assets/demo-data/train.jsonl"));
  const data = (quick ? train.sample({ fraction: 0.1, seed: 1 }) : train)
    .columns({ prompt: "prompt", answer: "answer" })
    .validation({ file: path.resolve("assets/demo-data/validation.jsonl") });
  const evals: EvalEvent[] = [];
  const run = await Experiment.create({
    name: "demo-pronunciation",
    root: path.join(os.tmpdir(), "tunebook-demo"),
  })
    .backbone(backbone)
    .dataset(data, { useChatTemplate: true })
    .tokenizer({ maxLength: 64 })
    .lora(new LoRAConfig({ r: 16, alpha: 32, dropout: 0, targetModules: "all-linear" }))
    .train({ epochs, batchSize: 16, learningRate: 3e-3, warmupEpochs: 0.05, evaluateBeforeTraining: true })
    .environment({ seed: 42 })
    .metrics(Metrics.perplexity())
    .fit({
      callbacks: [createProgressRenderer({ intervalSeconds: 5 }), { onEval: (e) => void evals.push(e) }],
    });
  if (run.status !== "completed") throw run.error ?? new Error(`run ${run.status}`);
  const [before, after] = [evals[0], evals.at(-1) as EvalEvent];
  const [answer] = await run.backbone.generate({
    messages: [{ role: "user", content: "How is 'approach' pronounced?" }],
    maxNewTokens: 16,
  });
  console.log(
    `\nheld-out answer perplexity (300 unseen words): before ${before.metrics.perplexity.toFixed(1)}, after ${after.metrics.perplexity.toFixed(2)}`,
  );
  console.log(
    `How is 'approach' pronounced? (held out) → ${answer.text.trim()}   (CMU dictionary: AH0 P R OW1 CH)`,
  );
  console.log(`experiment folder: ${run.dir}`);
  await run.backbone.dispose();
  if (!(after.metrics.perplexity < before.metrics.perplexity / 10)) {
    throw new Error("fine-tuning did not clearly improve the held-out perplexity");
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
