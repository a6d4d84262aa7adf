/**
 * Why a large training step takes long to load (benchmark, not a test): onnxruntime's allocation planner scans
 * its list of freed buffers for every allocation it plans, so a graph whose freed buffers rarely match a later
 * allocation (a backward pass: many distinct shapes, many long-lived values) takes time that grows with the
 * square of its size. This builds a synthetic graph of `n` blocks — `a = Expand(x, [i + 2, 4])` (a buffer of a
 * shape no later value has), `s = ReduceSum(a)`, `acc = acc + s` — and times session creation (graph
 * optimisations off, so the planner is most of it) for each `n`, in CPU seconds of this process.
 *
 *   node dist/bench/train/planner-scaling.js [--sizes 1000,2000,4000,8000]
 */
import { performance } from "node:perf_hooks";
import { add, compile, expand, Graph, reduceSum } from "../../sdk/engine";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

async function timeCreation(n: number): Promise<{ nodes: number; wall: number; cpu: number }> {
  const g = new Graph();
  const x = g.input("x", "float32", [1, 4]);
  let acc = reduceSum(x, [0, 1]);
  for (let i = 0; i < n; i++) acc = add(acc, reduceSum(expand(x, [i + 2, 4]), [0, 1]));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const session = await compile(g, { y: acc }, { optimization: "disabled", threads: 1 });
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  await session.release();
  return { nodes: 3 * n, wall, cpu: (c.user + c.system) / 1e6 };
}

async function main() {
  for (const n of arg("sizes", "1000,2000,4000,8000").split(",").map(Number)) {
    const r = await timeCreation(n);
    console.log(
      `${r.nodes} nodes: session created in ${r.wall.toFixed(2)} s (${r.cpu.toFixed(2)} CPU s, ` +
        `${((r.cpu / r.nodes) * 1e6).toFixed(0)} µs per node)`,
    );
  }
}

void main();
