/**
 * LoRA on Phi-3's fused modules, as PEFT does it: `"all-linear"` adapts `qkv_proj`, `o_proj`, `gate_up_proj` and
 * `down_proj` (one lora_A `[r, in]` / lora_B `[ΣO, r]` pair per fused module); a short training run lowers the
 * validation loss; the exported PEFT adapter has PEFT's names and shapes, and the PyTorch reference applying it
 * (unmerged) and peft_merge_reference.py (PEFT's merge rule) agree with our logits and with the merged export.
 * Targets naming the unfused projections (`q_proj`, the Llama list) are refused with the fused names.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ConfigError } from "../../sdk/errors";
import { Backbone, exportMergedModel, LINEAR_MODULES } from "../../sdk/models";
import { Experiment, exportExperiment, LoRAConfig } from "../../sdk/train";
import { makeTinyCheckpoint, readSafetensors, runReferenceScript } from "../reference";
import { DEFAULT_PYTHON } from "../reference/run-script";
import { torchReferences } from "../reference/torch-reference";
import { arithmeticDataset, evalLosses, experimentsRoot, fitCompleted } from "../train/fixtures";
import { BATCH, maxAbsError } from "./compare";

const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-fused-lora-"));
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

// Phi-4-mini's conventions at tiny size: hidden 64, 4 heads of 16, 2 KV heads, partial rotary 0.75.
const PHI = { arch: "phi3", seed: 40, partialRotary: 0.75 } as const;
const R = 4;

test("phi3 all-linear LoRA trains, saves PEFT names and shapes, and matches PyTorch unmerged and merged", async () => {
  const base = await makeTinyCheckpoint(PHI);
  const run = await fitCompleted(
    Experiment.create({ name: "phi3", root: experimentsRoot() })
      .backbone(base)
      .dataset(arithmeticDataset())
      .lora(new LoRAConfig({ r: R, alpha: 8, targetModules: "all-linear" }))
      .train({
        epochs: 1,
        batchSize: 4,
        learningRate: 5e-3,
        evaluationEpochs: 1,
        evaluateBeforeTraining: true,
      })
      .environment({ seed: 9, threads: 1 }),
  );
  const [before, afterTraining] = evalLosses(run);
  assert.ok(afterTraining < before - 0.05, `validation loss ${before} → ${afterTraining}`);
  const adapter = await exportExperiment({
    experiment: run.dir,
    format: "peft",
    output: path.join(tmp, "adapter"),
  });

  const config = JSON.parse(readFileSync(path.join(adapter, "adapter_config.json"), "utf8"));
  assert.deepEqual(config.target_modules, ["down_proj", "gate_up_proj", "o_proj", "qkv_proj"]);
  const tensors = readSafetensors(path.join(adapter, "adapter_model.safetensors")).tensors;
  const shapes = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.shape]));
  const [H, K, D, C, F] = [4, 2, 16, 64, 128];
  for (let i = 0; i < 2; i++) {
    const p = `base_model.model.model.layers.${i}`;
    assert.deepEqual(shapes[`${p}.self_attn.qkv_proj.lora_A.weight`], [R, C]);
    assert.deepEqual(shapes[`${p}.self_attn.qkv_proj.lora_B.weight`], [(H + 2 * K) * D, R]);
    assert.deepEqual(shapes[`${p}.self_attn.o_proj.lora_B.weight`], [C, R]);
    assert.deepEqual(shapes[`${p}.mlp.gate_up_proj.lora_A.weight`], [R, C]);
    assert.deepEqual(shapes[`${p}.mlp.gate_up_proj.lora_B.weight`], [2 * F, R]);
    assert.deepEqual(shapes[`${p}.mlp.down_proj.lora_A.weight`], [R, F]);
  }
  assert.equal(Object.keys(shapes).length, 2 * 4 * 2, "four adapted modules per layer, A and B each");

  const tuned = await Backbone.load(base, { tokenizer: false, adapter });
  backbones.push(tuned);
  const merged = await exportMergedModel({
    backbone: tuned,
    dir: path.join(tmp, "merged"),
    modelCard: false,
  });
  const [unmergedRef, mergedRef, baseRef] = await torchReferences({
    runs: [
      { model: base, adapter, inputIds: BATCH.ids, attentionMask: BATCH.mask },
      { model: merged.dir, inputIds: BATCH.ids, attentionMask: BATCH.mask },
      { model: base, inputIds: BATCH.ids, attentionMask: BATCH.mask },
    ],
  });
  const ours = (await tuned.logits(BATCH.ids, BATCH.mask)).data;
  const errUnmerged = maxAbsError(ours, unmergedRef.logits, BATCH.mask);
  const errMerged = maxAbsError(ours, mergedRef.logits, BATCH.mask);
  const effect = maxAbsError(ours, baseRef.logits, BATCH.mask);
  console.log(
    `# phi3 LoRA: vs PyTorch unmerged ${errUnmerged.toExponential(2)}, merged export ${errMerged.toExponential(2)}, adapter effect ${effect.toExponential(2)}`,
  );
  assert.ok(errUnmerged <= 1e-4 && errMerged <= 1e-4, `${errUnmerged}, ${errMerged}`);
  assert.ok(effect > 1e-2, `the adapter changes the logits (${effect})`);

  const out = path.join(tmp, "merge-check.json");
  await runReferenceScript(DEFAULT_PYTHON, "peft_merge_reference.py", [
    ...["--base", base, "--adapter", adapter, "--exported", merged.dir, "--out", out],
  ]);
  const check = JSON.parse(readFileSync(out, "utf8")) as {
    modules: Record<string, { weight_max_abs: number; output_max_abs: number }>;
    unchanged_max_abs: number;
    missing: string[];
    extra: string[];
  };
  assert.deepEqual(
    Object.keys(check.modules).filter((m) => m.endsWith("qkv_proj") || m.endsWith("gate_up_proj")).length,
    4,
  );
  for (const [m, c] of Object.entries(check.modules)) {
    assert.ok(c.weight_max_abs <= 1e-6 && c.output_max_abs <= 1e-5, `${m}: ${JSON.stringify(c)}`);
  }
  assert.deepEqual([check.unchanged_max_abs, check.missing, check.extra], [0, [], []]);
});

test("targets naming the unfused projections are refused with the fused module names", async () => {
  const base = await makeTinyCheckpoint(PHI);
  await assert.rejects(
    Backbone.load(base, { tokenizer: false, lora: { targetModules: ["q_proj"] } }),
    (e) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /no module matched q_proj\./);
      assert.match(e.message, /linear modules are qkv_proj, o_proj, gate_up_proj, down_proj, lm_head/);
      assert.match(e.message, /\(q_proj → qkv_proj\): target the fused module, which PEFT adapts as one/);
      return true;
    },
  );
  const llamaList: [string, ...string[]] = [...LINEAR_MODULES];
  await assert.rejects(Backbone.load(base, { tokenizer: false, lora: { targetModules: llamaList } }), (e) => {
    assert.match(
      (e as Error).message,
      /q_proj, k_proj, v_proj, gate_proj, up_proj matched no module \(o_proj, down_proj did\)/,
    );
    assert.match(
      (e as Error).message,
      /q_proj → qkv_proj, k_proj → qkv_proj, v_proj → qkv_proj, gate_proj → gate_up_proj, up_proj → gate_up_proj/,
    );
    return true;
  });
  // The fused names, alone or as dotted paths, load.
  const b = await Backbone.load(base, {
    tokenizer: false,
    lora: { targetModules: ["self_attn.qkv_proj", "gate_up_proj"] },
  });
  backbones.push(b);
  assert.equal(b.lora?.tensors().size, 2 * 2 * 2);
});
