/**
 * LoRA training on a quantized frozen base (`architecture.backbone_dtype` int4/int8) on a tiny Llama: the loss
 * falls, a cancelled run resumed from its checkpoint ends bit for bit like an
 * uninterrupted one, and the merged export of the quantized-base run equals the float32 merge of the same
 * adapter (the merge reads the original weights, as QLoRA users expect).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Metrics } from "../../sdk/eval";
import { Backbone, exportMergedModel } from "../../sdk/models";
import { Experiment, LoRAConfig } from "../../sdk/train";
import { arithmeticDataset, assertResumesExactly, experimentsRoot, stepLosses, tinyLlama } from "./fixtures";

async function experiment(dtype: "int8" | "int4", epochs: number) {
  return Experiment.create({ name: `q-${dtype}`, root: experimentsRoot() })
    .backbone(await tinyLlama(), { backboneDtype: dtype })
    .dataset(arithmeticDataset())
    .lora(new LoRAConfig({ r: 4, alpha: 8, dropout: 0.1, targetModules: "all-linear" }))
    .train({ epochs, batchSize: 4, learningRate: 5e-3, evaluationEpochs: 1, warmupEpochs: 0.5 })
    .environment({ seed: 5, threads: 1 })
    .logging({ logEveryNSteps: 1 })
    .metrics(Metrics.perplexity());
}

test("LoRA on an int4 base learns, and its merged export equals the float32 merge of the same adapter", async () => {
  const run = await (await experiment("int4", 3)).fit({ display: false });
  try {
    assert.equal(run.status, "completed", run.error?.message);
    const l = stepLosses(run);
    assert.ok(l.at(-1)! < l[0] * 0.7, `loss should fall: ${l[0]} → ${l.at(-1)}`);
    assert.equal(run.backbone.dtype, "int4");
    const out = path.join(experimentsRoot(), "merged-int4");
    await exportMergedModel({ backbone: run.backbone, dir: out });
    const f32 = await Backbone.load(run.backbone.modelDir.dir, {
      lora: { r: 4, alpha: 8, targetModules: "all-linear" },
    });
    try {
      await f32.updateParameters(run.backbone.lora!.tensors());
      const ref = path.join(experimentsRoot(), "merged-f32");
      await exportMergedModel({ backbone: f32, dir: ref });
      const read = (d: string) => readFileSync(path.join(d, "model.safetensors"));
      assert.ok(read(out).equals(read(ref)), "merged weights equal the float32 merge byte for byte");
    } finally {
      await f32.dispose();
    }
  } finally {
    await run.backbone.dispose();
  }
});

test("a cancelled int8-base run resumed from its checkpoint ends exactly like an uninterrupted one", async () => {
  const exp = (await experiment("int8", 2)).train({ epochs: 2, evaluationEpochs: 0.5 });
  await assertResumesExactly(exp, 3);
});
