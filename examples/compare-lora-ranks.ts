/**
 * A scripted comparison: the same fine-tuning with LoRA rank 4 and rank 16, then a comparison table of the
 * two experiment folders (final losses, validation perplexity, and the settings that differ).
 *
 * Run: `npx tsx examples/compare-lora-ranks.ts [--quick]`.
 */
import os from "node:os";
import path from "node:path";
import { Backbone, compareExperiments, Dataset, Experiment, LoRAConfig, Metrics } from "../sdk";

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const root = path.join(os.tmpdir(), `tunebook-compare-${process.pid}`);
  const backbone = await Backbone.load(path.resolve("assets/tiny-llama"));
  const train = await Dataset.fromJsonl(path.resolve("assets/demo-data/train.jsonl"));
  const data = train
    .sample({ fraction: quick ? 0.05 : 0.25, seed: 1 })
    .columns({ prompt: "prompt", answer: "answer" })
    .validation({ size: 0.1, seed: 2 });
  const dirs: string[] = [];
  for (const r of [4, 16]) {
    const run = await Experiment.create({ name: `rank-${r}`, root })
      .backbone(backbone)
      .dataset(data, { useChatTemplate: true })
      .tokenizer({ maxLength: 64 })
      .lora(new LoRAConfig({ r, alpha: 2 * r, dropout: 0, targetModules: "all-linear" }))
      .train({ epochs: 1, batchSize: 16, learningRate: 3e-3 })
      .environment({ seed: 7 })
      .metrics(Metrics.perplexity())
      .fit();
    console.log(run.toString());
    if (run.status !== "completed") throw run.error ?? new Error(`run ${run.status}`);
    dirs.push(run.dir);
    await run.backbone.dispose();
  }
  const comparison = compareExperiments(dirs);
  console.log(`settings that differ: ${comparison.differingSettings.join(", ")}`);
  comparison.toDataFrame().print();
  await backbone.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
