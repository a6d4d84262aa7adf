/**
 * This machine's float32 matmul throughput, the unit of the plan's step time: a 1024×1024 by 1024×1024 product
 * (2.1 GFLOP) run three times in an onnxruntime session with the run's thread count, best run kept (about 0.1 s
 * on an idle machine). The best figure seen so far per CPU model, thread count and onnxruntime version is kept in
 * `<tmp>/tunebook-plan/matmul-throughput.json` and each plan measures again, so a measurement taken while other
 * work loads the machine does not stay: the plan predicts the step time of an otherwise idle machine.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, Graph, linear, tensorValue } from "../../engine";

const N = 1024;

function cacheKey(threads: number): string {
  const ort = require("onnxruntime-node/package.json").version as string;
  return `${os.cpus()[0]?.model ?? "cpu"}|${threads} threads|onnxruntime-node ${ort}`;
}

function readCache(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

async function measure(threads: number): Promise<number> {
  const g = new Graph();
  const x = g.input("x", "float32", [N, N]);
  const w = g.input("w", "float32", [N, N]);
  const session = await compile(g, { y: linear(x, w) }, { threads });
  try {
    const data = Float32Array.from({ length: N * N }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const feeds = { x: tensorValue("float32", [N, N], data), w: tensorValue("float32", [N, N], data) };
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    return (2 * N ** 3) / best;
  } finally {
    await session.release();
  }
}

/**
 * The float32 matmul throughput of this machine: the best of this measurement and those cached.
 * @param options - `threads` (default: one per core), `cacheDir` (default `<tmp>/tunebook-plan`)
 * @returns FLOP/s
 * @example
 * ```ts
 * const flops = await matmulThroughput({ threads: 2 }); // e.g. 1.4e11
 * ```
 */
export async function matmulThroughput(
  options: { threads?: number; cacheDir?: string } = {},
): Promise<number> {
  const threads = options.threads ?? os.availableParallelism();
  const file = path.join(
    options.cacheDir ?? path.join(os.tmpdir(), "tunebook-plan"),
    "matmul-throughput.json",
  );
  const cache = readCache(file);
  const key = cacheKey(threads);
  const flops = Math.max(await measure(threads), cache[key] ?? 0);
  if (flops === cache[key]) return flops;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ ...cache, [key]: flops }, null, 2)}\n`);
  } catch {
    // An unwritable cache costs the next run another 0.3 s, nothing else.
  }
  return flops;
}
