/**
 * Every family's merged export, the same way: a tiny checkpoint with a PEFT adapter written by the PyTorch side
 * (make_tiny_checkpoint.py), loaded with the adapter, merged and exported, reloads without LoRA to the LoRA
 * backbone's logits (≤ 1e-5), and the PyTorch reference run on the exported folder agrees (≤ 1e-4).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Backbone, exportMergedModel, LINEAR_MODULES } from "../../sdk/models";
import { makeTinyCheckpoint } from "../reference";
import { torchReferences } from "../reference/torch-reference";
import { BATCH, maxAbsError } from "./compare";

const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-export-families-"));
const backbones: Backbone[] = [];
after(async () => {
  for (const b of backbones) await b.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const ALL = LINEAR_MODULES;
const FAMILIES = [
  { arch: "mistral", targets: ALL },
  { arch: "qwen2", targets: ALL },
  { arch: "qwen3", targets: ALL },
  { arch: "smollm3", targets: ALL },
  { arch: "olmo2", targets: ALL },
  { arch: "gemma2", targets: ALL },
  { arch: "gemma3_text", targets: ALL },
  { arch: "phi3", targets: ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"] },
] as const;

test("every family's merged export reloads to the LoRA logits and matches PyTorch on the exported folder", async () => {
  const exported: string[] = [];
  const expected: Float32Array[] = [];
  const report: string[] = [];
  for (const [i, f] of FAMILIES.entries()) {
    const base = await makeTinyCheckpoint({
      arch: f.arch,
      seed: 60 + i,
      lora: { r: 2, alpha: 4, targets: [...f.targets] },
    });
    const lora = await Backbone.load(base, { adapter: path.join(base, "adapter"), tokenizer: false });
    backbones.push(lora);
    const out = await exportMergedModel({ backbone: lora, dir: path.join(tmp, f.arch) });
    assert.equal(out.mergedModules.length, 2 * f.targets.length, `${f.arch}: every adapted module merged`);
    const merged = await Backbone.load(out.dir, { tokenizer: false });
    backbones.push(merged);
    assert.equal(merged.lora, undefined);
    const want = (await lora.logits(BATCH.ids, BATCH.mask)).data;
    const got = (await merged.logits(BATCH.ids, BATCH.mask)).data;
    const nested = (d: Float32Array) => {
      const [B, T] = [BATCH.ids.length, BATCH.ids[0].length];
      const V = d.length / (B * T);
      return Array.from({ length: B }, (_, b) =>
        Array.from({ length: T }, (_, t) => Array.from(d.subarray((b * T + t) * V, (b * T + t + 1) * V))),
      );
    };
    const err = maxAbsError(got, nested(want), BATCH.mask);
    assert.ok(err <= 1e-5, `${f.arch}: merged vs LoRA logits ${err.toExponential(2)}`);
    const plain = await Backbone.load(base, { tokenizer: false });
    backbones.push(plain);
    const effect = maxAbsError((await plain.logits(BATCH.ids, BATCH.mask)).data, nested(want), BATCH.mask);
    assert.ok(effect > 1e-3, `${f.arch}: the adapter changes the logits by only ${effect}`);
    report.push(`${f.arch} ${err.toExponential(1)} (adapter effect ${effect.toExponential(1)})`);
    exported.push(out.dir);
    expected.push(want);
  }
  const refs = await torchReferences({
    runs: exported.map((model) => ({ model, inputIds: BATCH.ids, attentionMask: BATCH.mask })),
  });
  for (const [i, f] of FAMILIES.entries()) {
    const err = maxAbsError(expected[i], refs[i].logits, BATCH.mask);
    assert.ok(err <= 1e-4, `${f.arch}: PyTorch on the export ${err.toExponential(2)}`);
  }
  console.log(`# merged vs LoRA logits: ${report.join(", ")}`);
});
