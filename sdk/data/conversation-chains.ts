import { DatasetError } from "./dataset-error";
import type { RecordTable } from "./table";

/** One row of a chained conversation: its id, its parent's id (`null` for a first turn). */
export interface ChainNode {
  index: number;
  id: string;
  parentId: string | null;
}

/**
 * Links rows into conversations through their `id` and `parentId` columns, as H2O LLM Studio does. A sample
 * runs from a conversation's root (a row without parent) down to the row that ends it. With
 * `limitChainedSamples: false` (H2O's default) every row ends a sample, so a conversation of n turns gives n
 * samples (each prefix of it); with `true` only rows that no other row names as parent end one, so each
 * complete conversation is one sample.
 * @param table - the records (for row numbers in messages)
 * @param nodes - one node per kept row
 * @param columns - the id and parent-id column names (for messages)
 * @param limitChainedSamples - `true`: complete conversations only; `false`: every prefix
 * @returns one chain per sample: record indices from the first turn to the last, in source order of the last
 * @throws {@link DatasetError} for a missing or duplicate id, a row that is its own parent, a parent id that no
 *   row has, or a cycle
 * @example
 * ```ts
 * const chains = buildChains(table, nodes, { id: "id", parentId: "parent_id" }, true);
 * ```
 */
export function buildChains(
  table: RecordTable,
  nodes: readonly ChainNode[],
  columns: { id: string; parentId: string },
  limitChainedSamples = false,
): number[][] {
  const byId = new Map<string, ChainNode>();
  const at = (n: ChainNode, column: string) => ({ source: table.source, column, row: table.rows[n.index] });
  for (const n of nodes) {
    const other = byId.get(n.id);
    if (other) {
      throw new DatasetError(
        `expected unique ids, found '${n.id}' also in row ${table.rows[other.index]}; give each row its own id`,
        at(n, columns.id),
      );
    }
    byId.set(n.id, n);
  }
  const parents = new Set<string>();
  for (const n of nodes) {
    if (n.parentId === null) continue;
    if (n.parentId === n.id) {
      throw new DatasetError(
        `expected a parent id other than the row's own id '${n.id}'`,
        at(n, columns.parentId),
      );
    }
    if (!byId.has(n.parentId)) {
      throw new DatasetError(
        `expected parent id '${n.parentId}' to be the id of another row, found none; fix it or leave it empty for a first turn`,
        at(n, columns.parentId),
      );
    }
    parents.add(n.parentId);
  }
  const chains: number[][] = [];
  for (const n of nodes) {
    if (limitChainedSamples && parents.has(n.id)) continue;
    chains.push(walkUp(n, byId, table, columns.parentId));
  }
  // A row no conversation reaches hangs off a cycle (its component has no first turn): walking up reports it.
  const covered = new Set(chains.flat());
  for (const n of nodes) if (!covered.has(n.index)) walkUp(n, byId, table, columns.parentId);
  return chains;
}

function walkUp(leaf: ChainNode, byId: Map<string, ChainNode>, table: RecordTable, column: string): number[] {
  const seen = new Set<string>();
  const chain: number[] = [];
  let node: ChainNode | undefined = leaf;
  while (node) {
    if (seen.has(node.id)) {
      throw new DatasetError(
        `expected parent links to end at a first turn, found a cycle through ids ${[...seen].join(" → ")} → ${node.id}`,
        { source: table.source, column, row: table.rows[node.index] },
      );
    }
    seen.add(node.id);
    chain.push(node.index);
    node = node.parentId === null ? undefined : byId.get(node.parentId);
  }
  return chain.reverse();
}
