/**
 * Training benchmark (issue 5, Performance; not a test): LoRA training tokens/s and peak RSS of our step
 * against a PyTorch implementation of the same step, on the embedded demo model (`assets/tiny-llama`, when
 * present) and on a SmolLM2-135M-shaped random model, run alternately in separate processes
 * (ours, torch, ours, torch…) with the same thread count and `OMP_WAIT_POLICY=PASSIVE` for both.
 *
 *   npm run bench:train -- [--quick] [--model all|tiny|smollm|<dir>] [--steps 8] [--warmup 2] [--rounds 2]
 *                          [--threads 2] [--batch 8] [--seq 256] [--targets all|qv] [--loss-chunk 8192]
 *                          [--json out.json] [--checkpointing [on|off|both]]
 *
 * Both sides: LoRA r 8, alpha 16, dropout 0 (default), AdamW (β 0.9/0.999, ε 1e-8, weight decay 0.01),
 * global-norm clipping at 1, mean cross-entropy over the labelled positions of random token batches.
 * `--checkpointing` recomputes each decoder layer in the backward on both sides (ours: `gradientCheckpointing`;
 * PyTorch: `torch.utils.checkpoint` per layer); `both` measures each model without and then with it.
 * Tokens/s = B·T / median steady-state step time (warm-up steps excluded); peak RSS = the process's ru_maxrss.
 * Dimension letters: B batch, T sequence.
 */
import { existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import { BACKBONE_DTYPES, type BackboneDtype } from "../../sdk/models";
import type { WorkerOptions, WorkerResult } from "./ours-worker";
import { runOurs, runWorker } from "./run-worker";
import { repoRoot, smollmCheckpoint } from "./shapes";

const ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
const PYTHON = "/usr/bin/python3";
interface BenchOptions {
  quick: boolean;
  model: string;
  steps: number;
  warmup: number;
  rounds: number;
  threads: number;
  batch: number;
  seq: number;
  targets: string;
  dtype: BackboneDtype;
  cacheDir: string;
  lossChunk?: number;
  json?: string;
  checkpointing: "on" | "off" | "both";
}

/** One model to measure. */
interface Target {
  label: string;
  dir: string;
}

function parseOptions(argv: string[]): BenchOptions {
  const int = (v: string) => Number.parseInt(v, 10);
  const cmd = new Command("bench:train")
    .option("--quick", "short run: 2 steps after 1 warm-up, one round", false)
    .option("--model <which>", "all | tiny | smollm | a Hugging Face model folder", "all")
    .option("--steps <n>", "timed steps per run", int, 8)
    .option("--warmup <n>", "untimed steps per run", int, 2)
    .option("--rounds <n>", "ours/torch pairs per model", int, 2)
    .option("--threads <n>", "intra-op threads for both", int, os.availableParallelism())
    .option("--batch <n>", "B", int, 8)
    .option("--seq <n>", "T", int, 256)
    .option("--targets <set>", "LoRA targets: all (q,k,v,o,gate,up,down) | qv", "all")
    .addOption(
      new Option("--dtype <dtype>", "our frozen base dtype (PyTorch stays float32)")
        .choices([...BACKBONE_DTYPES])
        .default("float32"),
    )
    .option(
      "--cache-dir <dir>",
      "where the random SmolLM2-shaped checkpoint is kept",
      path.join(os.tmpdir(), "tunebook-bench"),
    )
    .option(
      "--loss-chunk <n>",
      "ours: vocabulary rows per chunk of the fused head and loss (0: plain logits)",
      int,
    )
    .option("--json <file>", "also write every run's raw result here")
    .option("--checkpointing [mode]", "recompute each layer in the backward: on | off | both", "off");
  const o = cmd.parse(argv).opts<Omit<BenchOptions, "checkpointing"> & { checkpointing: string | true }>();
  const mode = o.checkpointing === true ? "on" : o.checkpointing;
  if (mode !== "on" && mode !== "off" && mode !== "both") {
    throw new Error(`--checkpointing must be on, off or both, got ${mode}`);
  }
  if (o.quick) Object.assign(o, { steps: 2, warmup: 1, rounds: 1 });
  return { ...o, checkpointing: mode };
}

function targets(o: BenchOptions, root: string): Target[] {
  const tiny = path.join(root, "assets/tiny-llama");
  const out: Target[] = [];
  if (o.model === "all" || o.model === "tiny") {
    if (existsSync(path.join(tiny, "config.json"))) out.push({ label: "tiny-llama (embedded)", dir: tiny });
    else console.log(`skipping the embedded demo model: ${tiny} does not exist (yet)`);
  }
  if (o.model === "all" || o.model === "smollm") {
    out.push({ label: "SmolLM2-135M shape", dir: smollmCheckpoint(root, o.cacheDir) });
  }
  if (!["all", "tiny", "smollm"].includes(o.model)) out.push({ label: path.basename(o.model), dir: o.model });
  return out;
}

function workerOptions(o: BenchOptions, dir: string, gradientCheckpointing: boolean): WorkerOptions {
  return {
    model: dir,
    dtype: o.dtype,
    threads: o.threads,
    batch: o.batch,
    seq: o.seq,
    r: 8,
    alpha: 16,
    dropout: 0,
    targets: o.targets === "qv" ? ["q_proj", "v_proj"] : ALL_LINEAR,
    steps: o.steps,
    warmup: o.warmup,
    lr: 2e-4,
    weightDecay: 0.01,
    maxGradNorm: 1,
    seed: 0,
    ...(o.lossChunk === undefined ? {} : { lossChunkSize: o.lossChunk }),
    gradientCheckpointing,
  };
}

function runTorch(w: WorkerOptions, root: string): Promise<WorkerResult> {
  const script = path.join(root, "bench/train/torch_lora_step.py");
  const { lossChunkSize: _chunk, dtype: _dtype, ...shared } = w;
  const flags = Object.entries({ ...shared, targets: w.targets.join(",") }).flatMap(([k, v]) => [
    `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    String(v),
  ]);
  // Debian's torch does its matmuls in OpenBLAS (pthreads build), whose pool torch.set_num_threads does not size.
  return runWorker(PYTHON, [script, ...flags], { OPENBLAS_NUM_THREADS: String(w.threads) });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Steady-state tokens/s of one run: B·T over the median timed step. */
function tokensPerSecond(r: WorkerResult, o: BenchOptions): number {
  return (o.batch * o.seq) / median(r.stepSeconds);
}

function describeRun(r: WorkerResult, o: BenchOptions): string {
  const steps = r.stepSeconds.map((s) => s.toFixed(2)).join(" ");
  return (
    `  ${r.impl.padEnd(7)} ${tokensPerSecond(r, o).toFixed(0).padStart(7)} tok/s  peak RSS ` +
    `${r.peakRssMB.toFixed(0).padStart(5)} MB (after load ${r.rssAfterLoadMB.toFixed(0)})  ` +
    `load ${r.loadSeconds.toFixed(1)} s  loss ${r.losses[0].toFixed(3)}→${r.losses.at(-1)?.toFixed(3)}  ` +
    `steps [${steps}] s  load avg ${os.loadavg()[0].toFixed(2)}`
  );
}

/** Measures one model: `rounds` alternating pairs; returns every run. */
async function measure(
  t: Target,
  o: BenchOptions,
  root: string,
  gradientCheckpointing: boolean,
): Promise<WorkerResult[]> {
  const w = workerOptions(o, t.dir, gradientCheckpointing);
  const recompute = gradientCheckpointing ? ", recomputation on" : "";
  console.log(
    `\n${t.label}: B=${o.batch} T=${o.seq}, LoRA r 8 on ${w.targets.join(",")}, ${o.threads} threads${recompute}`,
  );
  const runs: WorkerResult[] = [];
  for (let i = 0; i < o.rounds; i++) {
    for (const impl of ["ours", "pytorch"] as const) {
      const r = impl === "ours" ? await runOurs(w) : await runTorch(w, root);
      console.log(describeRun(r, o));
      runs.push(r);
    }
  }
  checkSameLoss(runs);
  return runs;
}

/** Both sides see the same batches and start from B = 0, so the first loss (before any update) must agree. */
function checkSameLoss(runs: WorkerResult[]): void {
  const first = (impl: string) => runs.find((r) => r.impl === impl)?.losses[0] ?? Number.NaN;
  const [ours, torch] = [first("ours"), first("pytorch")];
  const rel = Math.abs(ours - torch) / Math.abs(torch);
  const verdict = rel < 1e-4 ? "same step" : "MISMATCH: the two sides do not compute the same loss";
  console.log(
    `  first loss: ours ${ours.toFixed(6)}, torch ${torch.toFixed(6)} (rel. diff ${rel.toExponential(1)}): ${verdict}`,
  );
}

/** The summary row of one model: the best run of each side (least disturbed by other load), and ratios. */
function summaryRow(label: string, runs: WorkerResult[], o: BenchOptions): string[] {
  const best = (impl: string) => {
    const mine = runs.filter((r) => r.impl === impl);
    return {
      tps: Math.max(...mine.map((r) => tokensPerSecond(r, o))),
      rss: Math.min(...mine.map((r) => r.peakRssMB)),
    };
  };
  const ours = best("ours");
  const torch = best("pytorch");
  return [
    label,
    ours.tps.toFixed(0),
    torch.tps.toFixed(0),
    `${(ours.tps / torch.tps).toFixed(2)}×`,
    ours.rss.toFixed(0),
    torch.rss.toFixed(0),
    `${(ours.rss / torch.rss).toFixed(2)}×`,
  ];
}

function printTable(rows: string[][]): void {
  const head = ["model", "ours tok/s", "torch tok/s", "speed", "ours MB", "torch MB", "memory"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(`\n${line(head)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
  console.log("speed = ours/torch tokens/s (target ≥ 1.5); memory = ours/torch peak RSS (target ≤ 1)");
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv);
  const root = repoRoot();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`LoRA training benchmark — ${cpu}, ${os.cpus().length} cores, node ${process.version}`);
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const results: Record<string, WorkerResult[]> = {};
  const rows: string[][] = [];
  const modes = { off: [false], on: [true], both: [false, true] }[o.checkpointing];
  for (const t of targets(o, root)) {
    for (const gc of modes) {
      const label = gc ? `${t.label} + recompute` : t.label;
      results[label] = await measure(t, o, root, gc);
      rows.push(summaryRow(label, results[label], o));
    }
  }
  printTable(rows);
  console.log(
    `load average at end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ options: o, results }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
