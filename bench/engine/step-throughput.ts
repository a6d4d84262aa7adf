/**
 * Engine benchmark: LoRA training-step throughput of a tiny Llama-shaped decoder (not a test).
 * Prints tokens/s, achieved GFLOP/s, the ratio to this machine's fp32 MatMul peak measured in the same run
 * (1024³ MatMul on onnxruntime), and peak RSS.
 *
 *   npm run bench:engine -- [--layers 4] [--hidden 256] [--vocab 2048] [--batch 8] [--seq 128] [--steps 10]
 *
 * Dimension letters: B batch, T time, C hidden, F MLP width, V vocabulary, L layers, R LoRA rank.
 */
import { performance } from "node:perf_hooks";
import {
  add,
  applyRope,
  attention,
  attentionBias,
  compile,
  crossEntropy,
  Graph,
  gather,
  linear,
  matmul,
  mul,
  reshape,
  rmsNorm,
  ropeTables,
  seededRandom,
  silu,
  type Tensor,
  TrainStep,
  tensorValue,
  transpose,
} from "../../sdk/engine";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const cfg = {
  L: arg("layers", 4),
  C: arg("hidden", 256),
  V: arg("vocab", 2048),
  B: arg("batch", 8),
  T: arg("seq", 128),
  H: 4,
  R: 8,
  steps: arg("steps", 10),
};
const F = cfg.C * 4;
const D = cfg.C / cfg.H;
const rand = seededRandom(1);

function weight(g: Graph, name: string, shape: number[], trainable = false, zero = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  if (!zero) for (let i = 0; i < n; i++) data[i] = 0.05 * (2 * rand() - 1);
  return g.param(name, shape, { kind: "inline", data }, { trainable });
}

function loraLinear(g: Graph, x: Tensor, name: string, out: number, inp: number, params: Tensor[]): Tensor {
  const a = weight(g, `${name}.lora_A`, [cfg.R, inp], true);
  const b = weight(g, `${name}.lora_B`, [out, cfg.R], true);
  params.push(a, b);
  return add(linear(x, weight(g, `${name}.weight`, [out, inp])), mul(linear(linear(x, a), b), 2));
}

function buildModel() {
  const g = new Graph();
  const ids = g.input("input_ids", "int64", ["B", "T"]);
  const labels = g.input("labels", "int64", ["B", "T"]);
  const pos = g.input("position_ids", "int64", ["B", "T"]);
  const trainable: Tensor[] = [];
  const heads = (t: Tensor) => transpose(reshape(t, ["B", "T", cfg.H, D]), [0, 2, 1, 3]);
  const ones = (name: string) =>
    g.param(name, [cfg.C], { kind: "inline", data: new Float32Array(cfg.C).fill(1) });
  let x = gather(weight(g, "embed", [cfg.V, cfg.C]), ids);
  const rope = ropeTables(pos, D, 10000);
  const bias = attentionBias(ids);
  for (let l = 0; l < cfg.L; l++) {
    const h = rmsNorm(x, ones(`l${l}.ln1`), 1e-6);
    const q = applyRope(heads(loraLinear(g, h, `l${l}.q`, cfg.C, cfg.C, trainable)), rope);
    const k = applyRope(heads(linear(h, weight(g, `l${l}.k`, [cfg.C, cfg.C]))), rope);
    const v = heads(loraLinear(g, h, `l${l}.v`, cfg.C, cfg.C, trainable));
    const att = reshape(transpose(attention(q, k, v, bias, 1 / Math.sqrt(D)), [0, 2, 1, 3]), [
      "B",
      "T",
      cfg.C,
    ]);
    x = add(x, linear(att, weight(g, `l${l}.o`, [cfg.C, cfg.C])));
    const h2 = rmsNorm(x, ones(`l${l}.ln2`), 1e-6);
    const mlp = mul(
      silu(linear(h2, weight(g, `l${l}.gate`, [F, cfg.C]))),
      linear(h2, weight(g, `l${l}.up`, [F, cfg.C])),
    );
    x = add(x, linear(mlp, weight(g, `l${l}.down`, [cfg.C, F])));
  }
  const logits = linear(rmsNorm(x, ones("norm"), 1e-6), weight(g, "lm_head", [cfg.V, cfg.C]));
  const loss = crossEntropy(reshape(logits, ["B*T", cfg.V]), reshape(labels, ["B*T"]));
  return { loss, trainable };
}

/** Model FLOPs of one step: forward, plus the input-gradient backward (frozen weights get no weight grad). */
function stepFlops(): number {
  const tokens = cfg.B * cfg.T;
  const perLayer = 4 * cfg.C * cfg.C + 3 * cfg.C * F;
  const matmulFwd = 2 * tokens * (cfg.L * perLayer + cfg.V * cfg.C);
  const attnFwd = 4 * cfg.B * cfg.L * cfg.T * cfg.T * cfg.C;
  return 2 * matmulFwd + 3 * attnFwd;
}

async function matmulPeak(): Promise<number> {
  const n = 1024;
  const g = new Graph();
  const a = g.input("a", "float32", [n, n]);
  const b = g.input("b", "float32", [n, n]);
  const s = await compile(g, { c: matmul(a, b) });
  const data = new Float32Array(n * n).map(() => rand());
  const feeds = { a: tensorValue("float32", [n, n], data), b: tensorValue("float32", [n, n], data) };
  await s.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t0);
  }
  await s.release();
  times.sort((p, q) => p - q);
  return (2 * n ** 3) / (times[Math.floor(times.length / 2)] / 1000) / 1e9;
}

async function main(): Promise<void> {
  const peak = await matmulPeak();
  const { loss, trainable } = buildModel();
  const t0 = performance.now();
  const step = await TrainStep.create({ loss, params: trainable, maxGradNorm: 1 });
  const createSeconds = (performance.now() - t0) / 1000;
  const n = cfg.B * cfg.T;
  const ids = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * cfg.V)));
  const posArr = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % cfg.T));
  const feeds = {
    input_ids: tensorValue("int64", [cfg.B, cfg.T], ids),
    labels: tensorValue("int64", [cfg.B, cfg.T], ids),
    position_ids: tensorValue("int64", [cfg.B, cfg.T], posArr),
  };
  for (let i = 0; i < 2; i++) await step.step(feeds, { lr: 1e-3 });
  const times: number[] = [];
  let last = 0;
  for (let i = 0; i < cfg.steps; i++) {
    const s0 = performance.now();
    last = (await step.step(feeds, { lr: 1e-3 })).loss;
    times.push((performance.now() - s0) / 1000);
  }
  await step.release();
  times.sort((p, q) => p - q);
  const median = times[Math.floor(times.length / 2)];
  const gflops = stepFlops() / median / 1e9;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `engine step benchmark: L=${cfg.L} C=${cfg.C} V=${cfg.V} B=${cfg.B} T=${cfg.T} LoRA r=${cfg.R} on q,v`,
  );
  console.log(`  session create        ${createSeconds.toFixed(2)} s`);
  console.log(`  step (median of ${cfg.steps})   ${(median * 1000).toFixed(1)} ms   loss ${last.toFixed(4)}`);
  console.log(`  throughput            ${(n / median).toFixed(0)} tokens/s`);
  console.log(
    `  achieved              ${gflops.toFixed(1)} GFLOP/s (model FLOPs: forward + input-gradient backward)`,
  );
  console.log(`  fp32 MatMul peak      ${peak.toFixed(1)} GFLOP/s (1024³, same run)`);
  console.log(`  ratio to peak         ${(gflops / peak).toFixed(2)}`);
  console.log(`  peak RSS              ${rssMb.toFixed(0)} MB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
