/**
 * After training: evaluate a run on held-out data (perplexity of the reference answers, QA exact match and
 * BLEU of generated answers, a per-row predictions table), export it as a PEFT adapter and as a merged
 * Hugging Face model, and check that the merged model reloads with the same outputs.
 *
 * Run: `npx tsx examples/evaluate-and-export.ts [--quick]`.
 */
import os from "node:os";
import path from "node:path";
import {
  Backbone,
  Dataset,
  Experiment,
  exportExperiment,
  LoRAConfig,
  loadTrainedBackbone,
  Metrics,
} from "../sdk";

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const out = path.join(os.tmpdir(), `tunebook-export-${process.pid}`);
  const train = await Dataset.fromJsonl(path.resolve("assets/demo-data/train.jsonl"));
  const validation = await Dataset.fromJsonl(path.resolve("assets/demo-data/validation.jsonl"));
  const columns = { prompt: "prompt", answer: "answer" };
  const run = await Experiment.create({ name: "evaluate-export", root: path.join(out, "experiments") })
    .backbone(path.resolve("assets/tiny-llama"))
    .dataset(train.sample({ fraction: quick ? 0.05 : 0.5, seed: 3 }).columns(columns), {
      useChatTemplate: true,
    })
    .tokenizer({ maxLength: 64 })
    .lora(
      new LoRAConfig({
        r: 8,
        alpha: 16,
        dropout: 0,
        targetModules: ["q_proj", "k_proj", "v_proj", "o_proj"],
      }),
    )
    .train({ epochs: 1, batchSize: 16, learningRate: 3e-3 })
    .prediction({ maxNewTokens: 16 })
    .environment({ seed: 11 })
    .fit();
  if (run.status !== "completed") throw run.error ?? new Error(`run ${run.status}`);

  const heldOut = validation.sample({ fraction: quick ? 0.1 : 1, seed: 4 }).columns(columns);
  const evaluation = await run.evaluate({
    dataset: heldOut,
    metrics: [Metrics.perplexity(), Metrics.qaAccuracy(), Metrics.bleu()],
    name: "held-out",
  });
  for (const [name, value] of Object.entries(evaluation.metrics)) console.log(`${name}: ${value.toFixed(4)}`);
  const worst = [...evaluation.rows].sort((a, b) => b.scores.perplexity - a.scores.perplexity)[0];
  console.log(
    `hardest word: ${worst.data.prompt} → predicted "${worst.prediction}", reference "${worst.reference}"`,
  );

  const adapter = await exportExperiment({
    experiment: run.dir,
    output: path.join(out, "adapter"),
    format: "peft",
  });
  // float32 so the merged model can be compared with the trained one to float rounding; the default
  // (`mergedDtype: "source"`) keeps the checkpoint's bfloat16, rounding each merged weight once.
  const merged = await exportExperiment({
    experiment: run.dir,
    output: path.join(out, "merged"),
    format: "merged",
    mergedDtype: "float32",
  });
  console.log(`PEFT adapter: ${adapter}\nmerged model: ${merged}`);
  const [a, b] = [await Backbone.load(merged), await loadTrainedBackbone(run.dir)];
  const ids = [[1, 2, 3, 4, 5, 6, 7, 8]];
  const [la, lb] = [await a.logits(ids), await b.logits(ids)];
  const maxDiff = la.data.reduce((m, v, i) => Math.max(m, Math.abs(v - lb.data[i])), 0);
  console.log(`merged vs trained max |Δlogit| = ${maxDiff.toExponential(2)}`);
  for (const x of [a, b, run.backbone]) await x.dispose();
  if (!(maxDiff < 1e-3)) throw new Error("the merged model's outputs differ from the trained model's");
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
