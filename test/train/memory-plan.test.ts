/**
 * The plan before a run: `exp.plan()` from config.json alone, the plan's line at the start of a run, and a run whose
 * plan exceeds the memory available refused before anything is loaded (an ExperimentSetupError naming the figures
 * and the settings that would fit; no folder left); a packed run's plan is the same rows of max_length. `TUNEBOOK_MEMORY_LIMIT_MB` stands in for a small machine.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { liveSessionCount } from "../../sdk/engine";
import { Experiment, ExperimentSetupError, formatPlan } from "../../sdk/train";
import { arithmeticDataset, experimentsRoot, tinyLlama } from "./fixtures";

async function experiment(root: string) {
  return Experiment.create({ name: "plan", root })
    .backbone(await tinyLlama())
    .dataset(arithmeticDataset(16))
    .lora({ r: 4, alpha: 8, targetModules: "all-linear" })
    .tokenizer({ maxLength: 64 })
    .train({ epochs: 1, batchSize: 4 });
}

test("exp.plan() predicts from config.json without loading, and the run's first log line is the plan", async () => {
  const root = experimentsRoot();
  const exp = await experiment(root);
  const sessions = liveSessionCount();
  const plan = await exp.plan();
  assert.equal(liveSessionCount(), sessions, "nothing compiled");
  assert.ok(plan.fits, formatPlan(plan));
  assert.ok(plan.peakBytes > 100 * 2 ** 20 && plan.peakBytes < 2 ** 30, `${plan.peakBytes}`);
  assert.ok(plan.stepSeconds > 0 && plan.flopsPerSecond > 1e8);
  assert.match(formatPlan(plan), /frozen weights \(float32\)[\s\S]*peak/);
  const logs: string[] = [];
  const run = await exp.fit({ display: false, callbacks: [{ onLog: (e) => void logs.push(e.message) }] });
  await run.backbone.dispose();
  assert.match(
    logs[0] ?? "",
    /^plan: peak memory ≈ \d+ MB of .* available, step ≈ [\d.]+ s \(B 4, T 64, float32, LoRA r 4\)$/,
  );
  assert.match(fs.readFileSync(`${run.dir}/logs.txt`, "utf8"), /plan: peak memory ≈/);
  // Packed rows: the same memory (rows of max_length either way), said in the plan.
  const packed = await exp.train({ packing: true }).plan();
  assert.equal(packed.peakBytes, plan.peakBytes);
  assert.match(
    formatPlan(packed),
    /B 4, T 64, float32, LoRA r 4, packed rows; T is tokenizer.max_length, the length packed rows fill/,
  );
});

test("a run whose plan exceeds the memory available is refused before loading, with the settings that fit", async () => {
  const root = experimentsRoot();
  const exp = (await experiment(root)).train({ batchSize: 16 }).tokenizer({ maxLength: 512 });
  const plan = await exp.plan();
  const limitMb = Math.floor(plan.peakBytes / 2 ** 20) - 1;
  const previous = process.env.TUNEBOOK_MEMORY_LIMIT_MB;
  process.env.TUNEBOOK_MEMORY_LIMIT_MB = String(limitMb);
  const sessions = liveSessionCount();
  try {
    const refused = await exp.plan();
    assert.equal(refused.fits, false);
    assert.ok(refused.fixes.length > 0, formatPlan(refused));
    await assert.rejects(exp.fit({ display: false }), (e: unknown) => {
      assert.ok(e instanceof ExperimentSetupError, String(e));
      assert.match(
        e.message,
        new RegExp(
          `needs about \\d+ MB at its peak and ${limitMb} MB is available \\(TUNEBOOK_MEMORY_LIMIT_MB\\)`,
        ),
      );
      assert.match(
        e.message,
        /It would fit with training\.batch_size=\d+ training\.grad_accumulation=\d+ \(≈ \d+ MB\)/,
      );
      return true;
    });
  } finally {
    if (previous === undefined) delete process.env.TUNEBOOK_MEMORY_LIMIT_MB;
    else process.env.TUNEBOOK_MEMORY_LIMIT_MB = previous;
  }
  assert.equal(liveSessionCount(), sessions, "nothing was compiled");
  assert.deepEqual(fs.existsSync(root) ? fs.readdirSync(root) : [], [], "no experiment folder is left");
});
