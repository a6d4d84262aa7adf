/**
 * Reverse-mode automatic differentiation over the tensor graph. Walks the nodes that lie between the
 * requested tensors and the loss in reverse topological order, asks each op's gradient rule for the
 * gradients of the inputs that need one, and sums fan-in. Nodes no requested tensor depends on are pruned,
 * so a frozen weight never gets a weight gradient. Nodes built inside `checkpoint` are differentiated on their
 * recomputed values (see `recompute.ts`).
 */
import { isFloat } from "./ir/dtype";
import type { Node, Tensor } from "./ir/graph";
import { add } from "./ops/elementwise";
import { scalarLike } from "./ops/helpers";
import { expandAs } from "./ops/reduce";
import { Recomputation } from "./recompute";

/**
 * Gradients of a scalar `loss` with respect to each tensor in `wrt`.
 * @param loss - the scalar to differentiate (or any tensor, with `seed` its upstream gradient)
 * @param wrt - tensors (parameters, inputs or intermediates) to differentiate with respect to
 * @param seed - upstream gradient of `loss` (default 1)
 * @returns one gradient per `wrt` tensor, or undefined where the loss does not depend on it
 * @throws Error when an op on the path has no gradient rule
 */
export function grad(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): (Tensor | undefined)[] {
  const targets = new Set(wrt);
  const order = topoOrder(loss);
  // needs[t] = some requested tensor lies upstream of t.
  const needs = new Set<Tensor>(wrt);
  for (const node of order) {
    if (node.inputs.some((i) => needs.has(i))) for (const o of node.outputs) needs.add(o);
  }
  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor) => {
    const prev = grads.get(t);
    grads.set(t, prev ? add(prev, g) : g);
  };
  const recompute = new Recomputation(order);
  accumulate(loss, seed ?? (loss.rank === 0 ? scalarLike(loss, 1) : expandAs(scalarLike(loss, 1), loss)));
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const dOut = node.outputs.map((o) => grads.get(o));
    if (dOut.every((g) => !g)) continue;
    const wants = node.inputs.map((i) => needs.has(i) && isFloat(i.dtype));
    if (!wants.some(Boolean)) continue;
    if (node.op.grad === "none") {
      throw new Error(`op ${node.op.name} has no gradient, but a differentiated tensor flows through it`);
    }
    const view = node.region ? recompute.view(node, doneGradients(dOut, wrt, grads)) : node;
    const dIn = node.op.grad({
      node,
      inputs: view.inputs,
      outputs: view.outputs,
      attrs: node.attrs,
      dOut,
      wants,
    });
    node.inputs.forEach((input, i) => {
      const g = dIn[i];
      if (wants[i] && g) accumulate(input, g);
    });
    // Intermediate gradients that no longer flow anywhere are not kept alive.
    for (const o of node.outputs) if (!targets.has(o)) grads.delete(o);
  }
  return wrt.map((t) => grads.get(t));
}

/** The gradients computed so far that a recomputation must wait for: `dOut` and the requested tensors'. */
function doneGradients(
  dOut: readonly (Tensor | undefined)[],
  wrt: readonly Tensor[],
  grads: ReadonlyMap<Tensor, Tensor>,
): Tensor[] {
  return [...dOut, ...wrt.map((t) => grads.get(t))].filter((g): g is Tensor => !!g);
}

/** Op nodes `t` depends on, producers before consumers. */
export function topoOrder(t: Tensor): Node[] {
  const order: Node[] = [];
  const done = new Set<Node>();
  const stack: [Node, boolean][] = t.node ? [[t.node, false]] : [];
  while (stack.length) {
    const [n, expanded] = stack.pop()!;
    if (done.has(n)) continue;
    if (expanded) {
      done.add(n);
      order.push(n);
      continue;
    }
    stack.push([n, true]);
    for (const i of n.inputs) if (i.node && !done.has(i.node)) stack.push([i.node, false]);
  }
  return order;
}
