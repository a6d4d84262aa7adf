/**
 * Topological ordering of the nodes a set of tensors needs, for one (sub)graph scope. Branch outputs of `If`
 * nodes are not ordinary inputs: what only a branch needs is emitted inside that branch, and what the scope
 * computes anyway must come before the `If` node that reads it from the outer scope.
 */
import type { Node, Tensor } from "../ir/graph";

/** Tensors an `If` node's branches return (empty for other nodes). */
export function branchOutputs(node: Node): Tensor[] {
  if (node.op.name !== "If") return [];
  return [...((node.attrs.thenOutputs as Tensor[]) ?? []), ...((node.attrs.elseOutputs as Tensor[]) ?? [])];
}

/**
 * Orders the op nodes needed to compute `targets`, given tensors already `available` (outer scopes).
 * @returns nodes in an order where every producer precedes its consumers
 */
export function orderNodes(targets: readonly Tensor[], available: ReadonlySet<Tensor>): Node[] {
  const inScope = new Set<Node>();
  const stack = targets.map((t) => t.node).filter((n): n is Node => !!n);
  const isAvailable = (t: Tensor) => available.has(t);
  while (stack.length) {
    const n = stack.pop()!;
    if (inScope.has(n) || n.outputs.some(isAvailable)) continue;
    inScope.add(n);
    for (const i of n.inputs) if (i.node && !isAvailable(i)) stack.push(i.node);
  }
  const deps = (n: Node): Node[] => {
    const direct = n.inputs.map((i) => i.node).filter((d): d is Node => !!d && inScope.has(d));
    return [...direct, ...branchDeps(n, inScope, available)];
  };
  const order: Node[] = [];
  const state = new Map<Node, 1 | 2>();
  const visit = (root: Node) => {
    const work: [Node, number][] = [[root, 0]];
    while (work.length) {
      const top = work[work.length - 1];
      const [n, k] = top;
      if (k === 0) {
        if (state.get(n) === 2) {
          work.pop();
          continue;
        }
        state.set(n, 1);
      }
      const ds = deps(n);
      if (k < ds.length) {
        top[1] = k + 1;
        if (!state.has(ds[k])) work.push([ds[k], 0]);
        continue;
      }
      state.set(n, 2);
      order.push(n);
      work.pop();
    }
  };
  for (const n of inScope) if (!state.has(n)) visit(n);
  return order;
}

/** Nodes of this scope that an `If` node's branches read from the outer scope. */
function branchDeps(n: Node, inScope: ReadonlySet<Node>, available: ReadonlySet<Tensor>): Node[] {
  const outs = branchOutputs(n);
  if (!outs.length) return [];
  const found = new Set<Node>();
  const seen = new Set<Node>();
  const stack = outs.map((t) => t.node).filter((d): d is Node => !!d);
  while (stack.length) {
    const m = stack.pop()!;
    if (seen.has(m) || m.outputs.some((t) => available.has(t))) continue;
    seen.add(m);
    if (inScope.has(m)) {
      found.add(m);
      continue;
    }
    for (const i of m.inputs) if (i.node) stack.push(i.node);
    for (const t of branchOutputs(m)) if (t.node) stack.push(t.node);
  }
  return [...found];
}
