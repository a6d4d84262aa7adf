/**
 * Recomputation (activation checkpointing): the nodes built inside {@link checkpoint} form a region whose
 * forward values the backward never reads. When the reverse walk first needs one, it replays the region's
 * nodes from the region's inputs, and the gradient rules of its nodes read the replayed values instead. So the
 * forward keeps only each region's inputs alive for the backward (a decoder layer's input), and the replayed
 * activations of one region live only while its backward runs.
 *
 * onnxruntime orders nodes by its own topological sort, so a replay with no data dependency on the backward
 * could run as soon as its inputs exist, which would keep every replayed activation alive again. The replay's
 * float inputs are therefore gated: `x + 0·barrier`, where the barrier is a scalar zero read from one element
 * of every gradient computed so far (the region's upstream gradient and the gradients of the requested
 * tensors, i.e. the weight gradients of the regions already walked). A region is thus replayed only after the
 * backward of every later region has finished, weight gradients included. (A non-finite first element in one of
 * those gradients would make the barrier NaN; such a gradient is already non-finite.)
 */
import { isFloat } from "./ir/dtype";
import type { Graph, Node, RecomputeRegion, Tensor } from "./ir/graph";
import { numel } from "./ir/shape";
import { add, cast, mul } from "./ops/elementwise";
import { reshape, slice } from "./ops/movement";

/**
 * Builds `build`'s nodes as one recomputation region: the backward recomputes them from the region's inputs
 * instead of keeping their forward values (less memory, one more forward of the region per step).
 * @param graph - the graph being built
 * @param label - names the region in messages, e.g. `model.layers.3`
 * @param build - builds the region (one decoder layer); the tensors it reads from outside are its inputs
 * @returns what `build` returns
 * @example
 * ```ts
 * for (let i = 0; i < layers; i++) x = checkpoint(graph, `model.layers.${i}`, () => layer(x, i));
 * ```
 */
export function checkpoint<T>(graph: Graph, label: string, build: () => T): T {
  const region: RecomputeRegion = { label };
  return graph.inRegion(region, build);
}

/** A scalar zero of `dtype` read from the first element of `t` (a data dependency, almost free). */
function zeroFrom(t: Tensor, dtype: Tensor["dtype"]): Tensor {
  const first = slice(reshape(t, [numel(t.shape)]), 0, 0, 1);
  const zero = reshape(mul(first, 0), []);
  return zero.dtype === dtype ? zero : cast(zero, dtype);
}

/** The replays of one reverse walk, built lazily region by region. */
export class Recomputation {
  private readonly members = new Map<RecomputeRegion, Node[]>();
  private readonly replays = new Map<RecomputeRegion, Map<Tensor, Tensor>>();
  private barrier?: Tensor;
  private readonly counted = new Set<Tensor>();

  /** @param order - the walk's nodes in topological order */
  constructor(order: readonly Node[]) {
    for (const n of order) {
      if (!n.region) continue;
      const list = this.members.get(n.region);
      if (list) list.push(n);
      else this.members.set(n.region, [n]);
    }
  }

  /**
   * The inputs and outputs a region node's gradient rule should read: the replayed tensors (the forward's
   * own for parts of the region that read no activation, such as a weight-only expression).
   * @param node - a node with a region
   * @param done - gradients computed so far (the node's upstream gradients and the requested tensors')
   */
  view(node: Node, done: readonly Tensor[]): { inputs: Tensor[]; outputs: Tensor[] } {
    const region = node.region!;
    let map = this.replays.get(region);
    if (!map) {
      map = this.replay(region, this.advanceBarrier(done));
      this.replays.set(region, map);
    }
    const m = map;
    return { inputs: node.inputs.map((t) => m.get(t) ?? t), outputs: node.outputs.map((t) => m.get(t) ?? t) };
  }

  /** The barrier, extended with the gradients not yet in it. */
  private advanceBarrier(done: readonly Tensor[]): Tensor {
    for (const g of done) {
      if (this.counted.has(g)) continue;
      this.counted.add(g);
      const z = zeroFrom(g, this.barrier?.dtype ?? g.dtype);
      this.barrier = this.barrier ? add(this.barrier, z) : z;
    }
    if (!this.barrier) throw new Error("recomputation needs at least one upstream gradient");
    return this.barrier;
  }

  /** Replays the region's nodes on gated inputs; maps each forward tensor to its replayed copy. */
  private replay(region: RecomputeRegion, barrier: Tensor): Map<Tensor, Tensor> {
    const nodes = this.members.get(region)!;
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    const gates = new Map<Tensor, Tensor>();
    const gate = (t: Tensor) => {
      let g = gates.get(t);
      if (!g) {
        g = add(t, barrier.dtype === t.dtype ? barrier : cast(barrier, t.dtype));
        gates.set(t, g);
      }
      return g;
    };
    const isActivation = (t: Tensor) =>
      !produced.has(t) && isFloat(t.dtype) && (t.source.kind === "op" || t.source.kind === "input");
    const map = new Map<Tensor, Tensor>();
    for (const n of nodes) {
      const inputs = n.inputs.map((t) => map.get(t) ?? (isActivation(t) ? gate(t) : t));
      if (inputs.every((t, i) => t === n.inputs[i])) continue;
      const outputs = barrier.graph.apply(n.op, inputs, n.attrs);
      n.outputs.forEach((o, j) => {
        map.set(o, outputs[j]);
      });
    }
    return map;
  }
}
