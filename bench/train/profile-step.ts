/**
 * Where the LoRA training step's time goes (not a test): builds the trainer's step for a model exactly as
 * bench/train/lora-throughput.ts does, then runs the saved step model in a second onnxruntime session with
 * profiling on, and prints the time by operator type and the slowest nodes.
 *
 *   node --import tsx bench/train/profile-step.ts --model /tmp/tunebook-bench/smollm2-135m-shape [--threads 2]
 *        [--batch 8] [--seq 256] [--targets all|qv] [--top 25]
 *
 * Dimension letters: B batch, T sequence, V vocabulary.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Command } from "commander";
import * as ort from "onnxruntime-node";
import { Backbone } from "../../sdk/models";
import { batchFeeds, createCausalLmStep } from "../../sdk/train";
import { seededRandom } from "../../sdk/util";

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

const ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;

function options() {
  const int = (v: string) => Number.parseInt(v, 10);
  return new Command("profile-step")
    .requiredOption("--model <dir>", "Hugging Face model folder")
    .option("--threads <n>", "intra-op threads", int, os.availableParallelism())
    .option("--batch <n>", "B", int, 8)
    .option("--seq <n>", "T", int, 256)
    .option("--targets <set>", "all | qv", "all")
    .option("--top <n>", "slowest nodes to list", int, 25)
    .option("--no-arena", "run the profiled session without onnxruntime's CPU memory arena")
    .option("--no-profile", "only time the runs and report peak RSS (no profiler overhead)")
    .option("--forward", "also time the forward alone (the backbone's inference session)", false)
    .parse(process.argv)
    .opts<{
      model: string;
      threads: number;
      batch: number;
      seq: number;
      targets: string;
      top: number;
      arena: boolean;
      profile: boolean;
      forward: boolean;
    }>();
}

/** Every feed of the step model: the data, the optimizer scalars, the LoRA values and zero moments. */
function stepFeeds(
  session: ort.InferenceSession,
  data: Record<string, ort.Tensor>,
  params: Record<string, Float32Array>,
) {
  const feeds: Record<string, ort.Tensor> = { ...data };
  feeds.lr = new ort.Tensor("float32", Float32Array.of(2e-4), []);
  feeds.step = new ort.Tensor("float32", Float32Array.of(1), []);
  feeds.train = new ort.Tensor("bool", Uint8Array.of(1), []);
  for (const meta of session.inputMetadata) {
    if (feeds[meta.name] || !meta.isTensor) continue;
    const dims = meta.shape.map(Number);
    const name = meta.name.replace(/^[mv]\./, "");
    const values = meta.name === name ? params[name] : new Float32Array(params[name].length);
    if (!values) throw new Error(`no value for step input '${meta.name}'`);
    feeds[meta.name] = new ort.Tensor("float32", values, dims);
  }
  return feeds;
}

const CONTROL_FLOW = new Set(["If", "Loop", "Scan"]);

/** Times the forward alone (the backbone's inference session, same batch), for the forward : step ratio. */
async function timeForward(backbone: Backbone, ids: BigInt64Array, B: number, T: number): Promise<void> {
  const rows = Array.from({ length: B }, (_, b) => Array.from(ids.subarray(b * T, (b + 1) * T), Number));
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await backbone.logits(rows);
    times.push((performance.now() - t0) / 1000);
  }
  console.log(`forward only (logits, no loss): ${times.map((t) => t.toFixed(2)).join(" ")} s`);
}

function summarize(events: ProfileEvent[], top: number): void {
  // Control-flow nodes time their subgraph, whose nodes are listed too: count those once.
  const nodes = events.filter(
    (e) => e.cat === "Node" && e.name.endsWith("_kernel_time") && !CONTROL_FLOW.has(e.args?.op_name ?? ""),
  );
  const total = nodes.reduce((s, e) => s + e.dur, 0);
  const byOp = new Map<string, { us: number; n: number }>();
  for (const e of nodes) {
    const op = e.args?.op_name ?? "?";
    const entry = byOp.get(op) ?? { us: 0, n: 0 };
    entry.us += e.dur;
    entry.n += 1;
    byOp.set(op, entry);
  }
  console.log(`\nkernel time ${(total / 1e6).toFixed(2)} s over ${nodes.length} nodes; by operator type:`);
  for (const [op, { us, n }] of [...byOp].sort((a, b) => b[1].us - a[1].us)) {
    if (us / total < 0.002) continue;
    const pct = ((100 * us) / total).toFixed(1).padStart(5);
    console.log(`  ${op.padEnd(24)} ${pct}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${n} nodes`);
  }
  console.log(`\nslowest ${top} nodes:`);
  for (const e of [...nodes].sort((a, b) => b.dur - a.dur).slice(0, top)) {
    const name = e.name.replace(/_kernel_time$/, "");
    console.log(`  ${(e.dur / 1e3).toFixed(1).padStart(8)} ms  ${e.args?.op_name?.padEnd(18)} ${name}`);
  }
}

async function main(): Promise<void> {
  const o = options();
  const targetModules = o.targets === "qv" ? (["q_proj", "v_proj"] as const) : ALL_LINEAR;
  const backbone = await Backbone.load(o.model, {
    threads: o.threads,
    tokenizer: false,
    lora: { r: 8, alpha: 16, targetModules: [...targetModules] as [string, ...string[]] },
  });
  const { step } = await createCausalLmStep({ backbone, optimizer: { weightDecay: 0.01 }, maxGradNorm: 1 });
  const params = step.exportState().params;
  await step.release();
  const modelPath = path.join(backbone.folder, "train-step.onnx");
  if (!existsSync(modelPath)) throw new Error(`the step model was not saved at ${modelPath}`);
  const prefix = path.join(mkdtempSync(path.join(os.tmpdir(), "tunebook-profile-")), "step");
  const session = await ort.InferenceSession.create(modelPath, {
    enableMemPattern: false,
    enableCpuMemArena: o.arena,
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    enableProfiling: o.profile,
    profileFilePrefix: prefix,
  });
  const rand = seededRandom(0);
  const V = backbone.config.vocabSize;
  const n = o.batch * o.seq;
  const ids = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * V)));
  const batch = {
    inputIds: ids,
    labels: ids.map((_v, i) => ((i + 1) % o.seq === 0 ? -100n : ids[i + 1])),
    attentionMask: new BigInt64Array(n).fill(1n),
    positionIds: BigInt64Array.from({ length: n }, (_, i) => BigInt(i % o.seq)),
    batchSize: o.batch,
    seqLen: o.seq,
    numTargetTokens: n - o.batch,
    numTokens: n,
    epoch: 0,
    index: 0,
    rows: [],
  };
  const data = Object.fromEntries(
    Object.entries(batchFeeds(batch, 0)).map(([k, v]) => [
      k,
      new ort.Tensor("int64", v.data as BigInt64Array, [...v.dims]),
    ]),
  );
  const feeds = stepFeeds(session, data, params);
  if (o.forward) await timeForward(backbone, ids, o.batch, o.seq);
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    console.log(`step run ${i + 1}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
  console.log(
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (arena ${o.arena ? "on" : "off"})`,
  );
  if (o.profile) report(session, prefix, o.top);
  await session.release();
  await backbone.dispose();
}

/** Ends profiling, reads the profile and prints its summary (second run only). */
function report(session: ort.InferenceSession, prefix: string, top: number): void {
  session.endProfiling();
  const dir = path.dirname(prefix);
  const found = readdirSync(dir).find((f) => f.startsWith("step") && f.endsWith(".json"));
  if (!found) throw new Error(`onnxruntime wrote no profile into ${dir}`);
  const file = path.join(dir, found);
  const events = JSON.parse(readFileSync(file, "utf8")) as ProfileEvent[];
  // Keep the second run only: the first includes one-time allocations.
  const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run");
  const second = runs[1] as ProfileEvent & { ts: number };
  summarize(
    events.filter((e) => (e as ProfileEvent & { ts: number }).ts >= second.ts),
    top,
  );
  console.log(`\nprofile: ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
