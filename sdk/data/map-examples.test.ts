import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { ConfigError } from "../errors";
import { parseColumnMapping } from "./column-mapping";
import { DatasetError } from "./dataset-error";
import type { DatasetWarning } from "./dataset-warning";
import { mapRecordsToExamples } from "./map-examples";
import { readCsv } from "./readers/read-csv";
import { type DataRecord, tableFromRecords } from "./table";

const fixture = (name: string) => path.resolve("test/data/fixtures", name);
const map = (
  records: DataRecord[],
  mapping: Parameters<typeof parseColumnMapping>[0],
  warn?: (w: DatasetWarning) => void,
) => mapRecordsToExamples(tableFromRecords(records, "t.csv"), parseColumnMapping(mapping), warn);

function throwsAt(fn: () => unknown, column: string | undefined, row: number | undefined, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DatasetError, String(e));
    assert.equal(e.column, column);
    assert.equal(e.row, row);
    assert.match(e.message, pattern);
    return true;
  });
}

test("several prompt columns are joined, system goes first, empty parts are skipped", async () => {
  const table = await readCsv(fixture("tricky.csv"));
  const warnings: DatasetWarning[] = [];
  const ex = mapRecordsToExamples(
    table,
    parseColumnMapping({
      prompt: ["instruction", "input"],
      answer: "output",
      system: "system",
      onMissing: "drop",
    }),
    (w) => warnings.push(w),
  );
  assert.equal(ex.length, 3);
  assert.deepEqual(ex[0], {
    kind: "chat",
    row: 1,
    messages: [
      { role: "user", content: "Translate to French\n\nGood morning, friends" },
      { role: "assistant", content: "Bonjour, les amis" },
    ],
  });
  assert.deepEqual(ex[1].kind === "chat" && ex[1].messages.map((m) => m.role), [
    "system",
    "user",
    "assistant",
  ]);
  assert.deepEqual(
    warnings.map((w) => [w.code, w.column, w.count, w.rows]),
    [["dropped-rows", "output", 2, [4, 5]]],
  );
});

test("missing answer is an error naming column and row unless dropped", async () => {
  const table = await readCsv(fixture("tricky.csv"));
  throwsAt(
    () => mapRecordsToExamples(table, parseColumnMapping({ prompt: "instruction", answer: "output" })),
    "output",
    4,
    /expected an answer, found an empty cell/,
  );
});

test("missing and empty columns, non-string values, empty data", () => {
  throwsAt(
    () => map([{ q: "a", a: "b" }], { prompt: "question", answer: "a" }),
    "question",
    undefined,
    /found only: q, a/,
  );
  throwsAt(
    () =>
      map(
        [
          { q: "a", a: null },
          { q: "b", a: "" },
        ],
        { prompt: "q", answer: "a" },
      ),
    "a",
    undefined,
    /empty in all 2 rows/,
  );
  throwsAt(
    () =>
      map(
        [
          { q: "a", a: "x" },
          { q: 42, a: "y" },
        ],
        { prompt: "q", answer: "a" },
      ),
    "q",
    2,
    /expected text, found number/,
  );
  throwsAt(() => map([], { prompt: "q", answer: "a" }), undefined, undefined, /at least one row/);
  throwsAt(
    () =>
      map(
        [
          { q: "a", a: null },
          { q: "b", a: "x" },
        ],
        { prompt: "q", answer: "a", onMissing: "drop" },
      ).length === 1 &&
      map(
        [
          { q: "", a: "x" },
          { q: "b", a: null },
        ],
        { prompt: "q", answer: "a", onMissing: "drop" },
      ),
    undefined,
    undefined,
    /at least one usable example/,
  );
});

test("invalid mappings are ConfigErrors", () => {
  assert.throws(() => parseColumnMapping({ prompt: "q" }), ConfigError);
  assert.throws(() => parseColumnMapping({ prompt: "q", answer: "a", text: "t" }), /exactly one of/);
  assert.throws(
    () => parseColumnMapping({ prompt: "q", answer: "a", id: "id" }),
    /id and parentId go together/,
  );
  assert.throws(
    () => parseColumnMapping({ text: "t", system: "s" } as never),
    /prompt \+ answer columns only/,
  );
  assert.throws(() => parseColumnMapping({ prompt: "q", answer: "a", colour: "x" } as never), /colour/);
});

test("id/parent_id rows chain into conversations: every prefix by default, complete ones when limited", async () => {
  const table = await readCsv(fixture("threads.csv"));
  const answers = (limitChainedSamples?: boolean) =>
    mapRecordsToExamples(
      table,
      parseColumnMapping({
        prompt: "prompt",
        answer: "answer",
        id: "id",
        parentId: "parent_id",
        ...(limitChainedSamples === undefined ? {} : { limitChainedSamples }),
      }),
    ).map((e) => [
      e.row,
      e.kind === "chat" ? e.messages.filter((m) => m.role === "assistant").map((m) => m.content) : [],
    ]);
  // H2O LLM Studio's limit_chained_samples = false: each row ends a sample running from its root.
  const everyRow = [
    [1, ["Austin."]],
    [2, ["Austin.", "Houston."]],
    [3, ["Columbus."]],
    [4, ["Austin.", "Houston.", "About 165 miles."]],
  ];
  assert.deepEqual(answers(), everyRow);
  assert.deepEqual(answers(false), everyRow);
  assert.deepEqual(answers(true), [
    [3, ["Columbus."]],
    [4, ["Austin.", "Houston.", "About 165 miles."]],
  ]);
});

test("broken chains: duplicate, self-referencing, unknown parents, cycles, missing ids", () => {
  const m = { prompt: "p", answer: "a", id: "id", parentId: "pid" };
  const r = (id: unknown, pid: unknown) => ({ id, pid, p: "q", a: "x" });
  throwsAt(() => map([r(1, null), r(1, null)], m), "id", 2, /unique ids, found '1' also in row 1/);
  throwsAt(() => map([r(1, null), r(2, 2)], m), "pid", 2, /other than the row's own id '2'/);
  throwsAt(() => map([r(1, null), r(2, 9)], m), "pid", 2, /parent id '9'.*found none/);
  throwsAt(() => map([r(1, null), r(2, 1), r(3, 4), r(4, 3)], m), "pid", 3, /cycle through ids 3 → 4 → 3/);
  throwsAt(() => map([r(1, null), r(null, 1)], m), "id", 2, /an id in every row/);
});

test("messages column: arrays or JSON text, every malformed case names the row", () => {
  const good = [
    { role: "user", content: "hi" },
    { role: "assistant", content: "hello" },
  ];
  const ex = map([{ m: good }, { m: JSON.stringify(good) }], { messages: "m" });
  assert.deepEqual(
    ex.map((e) => e.kind === "chat" && e.messages),
    [good, good],
  );
  const bad = (m: unknown, pattern: RegExp) =>
    throwsAt(() => map([{ m: good }, { m }], { messages: "m" }), "m", 2, pattern);
  bad("not json", /not JSON/);
  bad([], /non-empty list/);
  bad([{ role: "robot", content: "x" }], /role system, user or assistant, found "robot"/);
  bad([{ role: "user", content: 3 }], /string content, found 3/);
  bad([{ role: "user", content: "hi" }], /last message to be the assistant's answer/);
});

test("raw text column for continued pretraining", () => {
  const ex = map([{ t: "Call me Ishmael." }, { t: "  " }, { t: "Some years ago" }], {
    text: "t",
    onMissing: "drop",
  });
  assert.deepEqual(ex, [
    { kind: "text", text: "Call me Ishmael.", row: 1 },
    { kind: "text", text: "Some years ago", row: 3 },
  ]);
});
