/**
 * How a plan reads: one line at the start of a run (logs.txt, the CLI, the notebook), and a small table for
 * `exp.plan()` and `tunebook train --plan`.
 */
import type { ExperimentPlan } from "./experiment-plan";

/**
 * Bytes in MB or GB, as the plan prints them.
 * @param bytes - a size
 * @returns e.g. `"812 MB"` or `"3.4 GB"`
 * @example
 * ```ts
 * formatBytes(3.4 * 2 ** 30); // "3.4 GB"
 * ```
 */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.round(bytes / 2 ** 20)} MB`;
}

function settingsText(p: ExperimentPlan): string {
  const i = p.inputs;
  const lora = i.lora ? `LoRA r ${i.lora.r}` : "full fine-tuning";
  const extras = [
    i.gradientCheckpointing ? "gradient checkpointing" : "",
    (i.gradAccumulation ?? 1) > 1 ? `accumulation ${i.gradAccumulation}` : "",
    i.packing ? "packed rows" : "",
  ].filter(Boolean);
  return [`B ${i.batchSize}`, `T ${i.maxLength}`, i.backboneDtype ?? "float32", lora, ...extras].join(", ");
}

/**
 * The one-line summary printed at the start of a run.
 * @param p - the plan
 * @returns e.g. `plan: peak ≈ 2.9 GB of 20.1 GB available; step ≈ 4.5 s (B 4, T 256, float32, LoRA r 8)`
 * @example
 * ```ts
 * store.appendLog(planLine(plan));
 * ```
 */
export function planLine(p: ExperimentPlan): string {
  const provisional = p.components.some((c) => c.provisional) ? " (provisional coefficients)" : "";
  return (
    `plan: peak memory ≈ ${formatBytes(p.peakBytes)} of ${formatBytes(p.available.bytes)} available, ` +
    `step ≈ ${p.stepSeconds.toFixed(p.stepSeconds < 10 ? 2 : 0)} s (${settingsText(p)})${provisional}`
  );
}

/**
 * The plan as a few lines: each component, the peak, the step time and how it was estimated, and fixes.
 * @param p - the plan
 * @returns printable text
 * @example
 * ```ts
 * console.log(formatPlan(await exp.plan()));
 * ```
 */
export function formatPlan(p: ExperimentPlan): string {
  const width = Math.max(...p.components.map((c) => c.name.length));
  const lines = [
    `memory and time plan (${settingsText(p)}; T is tokenizer.max_length, ${p.inputs.packing ? "the length packed rows fill" : "the longest a batch can be"}):`,
    ...p.components.map(
      (c) =>
        `  ${c.name.padEnd(width)}  ${formatBytes(c.bytes).padStart(8)}${c.provisional ? "  (provisional)" : ""}`,
    ),
    `  ${"peak".padEnd(width)}  ${formatBytes(p.peakBytes).padStart(8)}  of ${formatBytes(p.available.bytes)} (${p.available.source})`,
    `step ≈ ${p.stepSeconds.toFixed(2)} s: ${(p.stepFlops / 1e9).toFixed(0)} GFLOP per micro-batch at ` +
      `${(p.flopsPerSecond / 1e9).toFixed(0)} GFLOP/s (this machine's measured matmul throughput) × step efficiency`,
  ];
  if (!p.fits) lines.push(fixesText(p));
  return lines.join("\n");
}

/**
 * What would make a plan that does not fit fit.
 * @param p - the plan
 * @returns e.g. `it would fit with training.batch_size=2 training.grad_accumulation=2 (≈ 1.9 GB), or …`
 * @example
 * ```ts
 * if (!plan.fits) console.log(fixesText(plan));
 * ```
 */
export function fixesText(p: ExperimentPlan): string {
  if (p.fixes.length === 0) {
    return "No change of batch size, max length, gradient checkpointing or backbone dtype makes it fit: use a smaller model or a machine with more memory.";
  }
  const each = p.fixes.map((f) => `${f.settings.join(" ")} (≈ ${formatBytes(f.peakBytes)})`);
  return `It would fit with ${each.join(", or ")}.`;
}
