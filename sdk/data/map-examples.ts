import { cellKey, cellText, requireColumns } from "./cells";
import type { ColumnMapping } from "./column-mapping";
import { buildChains, type ChainNode } from "./conversation-chains";
import { DatasetError } from "./dataset-error";
import type { WarningHandler } from "./dataset-warning";
import type { ChatMessage, Example } from "./examples";
import type { RecordTable } from "./table";

/** Collects rows dropped for a missing value, per column, and reports them as one warning each. */
class DropLog {
  private readonly byColumn = new Map<string, number[]>();
  constructor(
    private readonly table: RecordTable,
    private readonly mode: "error" | "drop",
  ) {}

  /** Throws (mode `error`) or records the drop (mode `drop`). */
  missing(index: number, column: string, what: string): void {
    const row = this.table.rows[index];
    if (this.mode === "error") {
      throw new DatasetError(
        `expected ${what}, found an empty cell; fill it in, or pass onMissing: "drop" to skip such rows`,
        { source: this.table.source, column, row },
      );
    }
    const rows = this.byColumn.get(column) ?? [];
    rows.push(row);
    this.byColumn.set(column, rows);
  }

  report(onWarning?: WarningHandler): void {
    for (const [column, rows] of this.byColumn) {
      onWarning?.({
        code: "dropped-rows",
        count: rows.length,
        column,
        rows: rows.slice(0, 10),
        message: `dropped ${rows.length} of ${this.table.records.length} rows with an empty '${column}' (rows ${rows.slice(0, 10).join(", ")}${rows.length > 10 ? ", …" : ""})`,
      });
    }
  }
}

/**
 * Turns records into training examples following a column mapping, checking them on the way.
 * @param table - the records
 * @param mapping - a validated column mapping
 * @param onWarning - receives a `dropped-rows` warning per column when `onMissing` is `drop`
 * @returns the examples, in source order
 * @throws {@link DatasetError} for a missing or empty column, a missing value (unless dropped), a non-string
 *   value, a broken id chain, a malformed `messages` cell, or no examples at all
 * @example
 * ```ts
 * const examples = mapRecordsToExamples(table, parseColumnMapping({ prompt: "q", answer: "a" }));
 * ```
 */
export function mapRecordsToExamples(
  table: RecordTable,
  mapping: ColumnMapping,
  onWarning?: WarningHandler,
): Example[] {
  if (table.records.length === 0) {
    throw new DatasetError("expected at least one row, found none; check the file", { source: table.source });
  }
  const drops = new DropLog(table, mapping.onMissing);
  let examples: Example[];
  if (mapping.text !== undefined) examples = textExamples(table, mapping.text, drops);
  else if (mapping.messages !== undefined) examples = messageExamples(table, mapping.messages, drops);
  else examples = promptAnswerExamples(table, mapping, drops);
  drops.report(onWarning);
  if (examples.length === 0) {
    throw new DatasetError(
      "expected at least one usable example, found none after dropping rows with empty cells",
      {
        source: table.source,
      },
    );
  }
  return examples;
}

function textExamples(table: RecordTable, column: string, drops: DropLog): Example[] {
  requireColumns(table, [column]);
  const out: Example[] = [];
  table.records.forEach((_, i) => {
    const text = cellText(table, i, column);
    if (text === null) drops.missing(i, column, "text");
    else out.push({ kind: "text", text, row: table.rows[i] });
  });
  return out;
}

function promptAnswerExamples(table: RecordTable, m: ColumnMapping, drops: DropLog): Example[] {
  const prompts = Array.isArray(m.prompt) ? m.prompt : [m.prompt as string];
  const answer = m.answer as string;
  const optional = [m.system, m.parentId].filter((c): c is string => c !== undefined);
  requireColumns(table, [...prompts, answer, ...optional, ...(m.id ? [m.id] : [])], optional);
  const turns = new Map<number, { prompt: string; answer: string; system: string | null }>();
  table.records.forEach((_, i) => {
    const parts = prompts.map((c) => cellText(table, i, c)).filter((t): t is string => t !== null);
    const ans = cellText(table, i, answer);
    const system = m.system === undefined ? null : cellText(table, i, m.system);
    if (parts.length === 0) drops.missing(i, prompts.join("+"), "a prompt");
    else if (ans === null) drops.missing(i, answer, "an answer");
    else turns.set(i, { prompt: parts.join(m.promptSeparator), answer: ans, system });
  });
  const chains =
    m.id === undefined ? [...turns.keys()].map((i) => [i]) : chainIndices(table, m, [...turns.keys()]);
  return chains.map((chain) => {
    const messages: ChatMessage[] = [];
    const system = turns.get(chain[0])?.system;
    if (system) messages.push({ role: "system", content: system });
    for (const i of chain) {
      const t = turns.get(i)!;
      messages.push({ role: "user", content: t.prompt }, { role: "assistant", content: t.answer });
    }
    return { kind: "chat", messages, row: table.rows[chain[chain.length - 1]] };
  });
}

function chainIndices(table: RecordTable, m: ColumnMapping, kept: number[]): number[][] {
  const id = m.id as string;
  const parentId = m.parentId as string;
  const nodes: ChainNode[] = kept.map((index) => {
    const key = cellKey(table, index, id);
    if (key === null) {
      throw new DatasetError("expected an id in every row, found an empty cell", {
        source: table.source,
        column: id,
        row: table.rows[index],
      });
    }
    return { index, id: key, parentId: cellKey(table, index, parentId) };
  });
  return buildChains(table, nodes, { id, parentId }, m.limitChainedSamples);
}

const ROLES = new Set(["system", "user", "assistant"]);

function messageExamples(table: RecordTable, column: string, drops: DropLog): Example[] {
  requireColumns(table, [column]);
  const out: Example[] = [];
  table.records.forEach((record, i) => {
    const row = table.rows[i];
    const fail = (what: string) => new DatasetError(what, { source: table.source, column, row });
    let value = record[column];
    if (value === null || value === undefined) {
      drops.missing(i, column, "a list of messages");
      return;
    }
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch {
        throw fail("expected a list of {role, content} (or its JSON text), found text that is not JSON");
      }
    }
    if (!Array.isArray(value) || value.length === 0) {
      throw fail("expected a non-empty list of {role, content} messages");
    }
    const messages = value.map((msg, k): ChatMessage => {
      const { role, content } = (msg ?? {}) as { role?: unknown; content?: unknown };
      if (typeof role !== "string" || !ROLES.has(role)) {
        throw fail(
          `expected message ${k + 1} to have role system, user or assistant, found ${JSON.stringify(role)}`,
        );
      }
      if (typeof content !== "string") {
        throw fail(`expected message ${k + 1} to have string content, found ${JSON.stringify(content)}`);
      }
      return { role: role as ChatMessage["role"], content };
    });
    if (messages[messages.length - 1].role !== "assistant") {
      throw fail("expected the last message to be the assistant's answer, found a conversation without one");
    }
    out.push({ kind: "chat", messages, row });
  });
  return out;
}
