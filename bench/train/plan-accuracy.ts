/**
 * The memory and time plan against measurements (issue 14; not a test): for each shape and batch setting, the
 * plan's predicted peak RSS and step time (from config.json and the settings alone) beside our training step's
 * measured peak RSS and median step time (bench/train/ours-worker in its own process: LoRA r 8 on all seven linear
 * modules, float32). Shapes: the embedded demo model, a mid shape (Qwen2.5-0.5B's widths, 6 layers, vocabulary
 * 32,000) and SmolLM2-135M's shape, random weights.
 *
 *   npm run -s build && node dist/bench/train/plan-accuracy.js [--shapes tiny,mid,smollm] [--settings 4x256,8x128]
 *                                                             [--steps 2] [--threads 2]
 *
 * Run it under `flock /tmp/tunebook-heavy.lock` on a shared machine. Dimension letters: B batch, T sequence.
 */
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { type BackboneDtype, normalizeConfig } from "../../sdk/models";
import { matmulThroughput, planMemory, stepSeconds } from "../../sdk/train";

const formatBytes = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

import type { WorkerOptions } from "./ours-worker";
import { runOurs } from "./run-worker";
import { MID_SHAPE, randomCheckpoint, repoRoot, smollmCheckpoint } from "./shapes";

const ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

function shapeDir(name: string, root: string, cacheDir: string): string {
  if (name === "tiny") return path.join(root, "assets/tiny-llama");
  if (name === "mid") return randomCheckpoint(root, path.join(cacheDir, "qwen2-mid-shape"), MID_SHAPE);
  if (name === "smollm") return smollmCheckpoint(root, cacheDir);
  return name;
}

async function main(): Promise<void> {
  const int = (v: string) => Number.parseInt(v, 10);
  const o = new Command("plan-accuracy")
    .option("--shapes <list>", "tiny, mid, smollm or model folders, comma-separated", "tiny,mid,smollm")
    .option("--settings <list>", "BxT pairs, comma-separated", "4x256")
    .option(
      "--dtypes <list>",
      "frozen base dtypes, comma-separated (float32, bfloat16, float16, int8, int4)",
      "float32",
    )
    .option("--checkpointing <list>", "gradient checkpointing off, on, or both (off,on)", "off")
    .option("--steps <n>", "timed steps (after one warm-up)", int, 2)
    .option("--threads <n>", "intra-op threads", int, os.availableParallelism())
    .option(
      "--cache-dir <dir>",
      "where the random checkpoints are kept",
      path.join(os.tmpdir(), "tunebook-bench"),
    )
    .parse(process.argv)
    .opts<{
      shapes: string;
      settings: string;
      dtypes: string;
      checkpointing: string;
      steps: number;
      threads: number;
      cacheDir: string;
    }>();
  const root = repoRoot();
  const flops = await matmulThroughput({ threads: o.threads });
  console.log(
    `matmul throughput ${(flops / 1e9).toFixed(0)} GFLOP/s (${o.threads} threads), load ${os.loadavg()[0].toFixed(2)}`,
  );
  const rows: string[][] = [];
  for (const shape of o.shapes.split(",")) {
    const dir = shapeDir(shape, root, o.cacheDir);
    const model = normalizeConfig(require(path.join(dir, "config.json")), dir);
    for (const setting of o.settings.split(",")) {
      for (const dtype of o.dtypes.split(",") as BackboneDtype[]) {
        for (const recompute of o.checkpointing.split(",").map((c) => c === "on")) {
          await measure(shape, dir, model, setting, dtype, recompute);
        }
      }
    }
  }
  async function measure(
    shape: string,
    dir: string,
    model: ReturnType<typeof normalizeConfig>,
    setting: string,
    dtype: BackboneDtype,
    recompute: boolean,
  ): Promise<void> {
    {
      const [B, T] = setting.split("x").map(Number);
      // The step computes the head and the loss in chunks whenever the head is frozen (LoRA off lm_head).
      const plan = planMemory({
        model,
        batchSize: B,
        maxLength: T,
        lora: { targets: "all-linear", r: 8 },
        backboneDtype: dtype,
        gradientCheckpointing: recompute,
        chunkedLmHead: true,
      });
      const w: WorkerOptions = {
        model: dir,
        dtype,
        threads: o.threads,
        batch: B,
        seq: T,
        r: 8,
        alpha: 16,
        dropout: 0,
        targets: ALL_LINEAR,
        steps: o.steps,
        warmup: 1,
        lr: 2e-4,
        weightDecay: 0.01,
        maxGradNorm: 1,
        seed: 0,
        gradientCheckpointing: recompute,
      };
      const r = await runOurs(w);
      const measured = r.peakRssMB * 2 ** 20;
      const step = [...r.stepSeconds].sort((a, b) => a - b)[Math.floor(r.stepSeconds.length / 2)];
      const predicted = stepSeconds(plan, flops);
      const err = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(0)}%`;
      const row = [
        shape,
        `${B}×${T}`,
        `${dtype}${recompute ? " + recompute" : ""}`,
        formatBytes(plan.peakBytes),
        formatBytes(measured),
        err(plan.peakBytes, measured),
      ];
      row.push(predicted.toFixed(2), step.toFixed(2), err(predicted, step), r.loadSeconds.toFixed(1));
      console.log(
        `${row.join("  ")}   components: ${plan.components.map((c) => `${c.name} ${formatBytes(c.bytes)}`).join(", ")}`,
      );
      rows.push(row);
    }
  }
  const head = [
    "shape",
    "B×T",
    "base",
    "plan peak",
    "measured peak",
    "error",
    "plan step s",
    "measured step s",
    "error",
    "load s",
  ];
  console.log(`\n| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
