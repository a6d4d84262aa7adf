/**
 * Invalid text in real data files: bytes that are not UTF-8 (a Latin-1 "é", a cut multi-byte character, 0xFF)
 * and NUL bytes, in CSV, JSONL, JSON and Parquet strings. By default each file is refused with the file, the row
 * and the column; with `allowInvalidText` (YAML: `dataset.allow_invalid_text`) it is read, bad bytes replaced by
 * U+FFFD, with an `invalid-text` warning naming the same cells. Valid files, U+FFFD written as UTF-8 included,
 * read as before.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Dataset, DatasetReadError, type DatasetWarning } from "../../sdk/data";
import { loadTokenizer } from "../../sdk/models/tokenizer";
import { datasetFromConfig, parseExperimentConfig } from "../../sdk/train";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-badtext-"));
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));
const write = (name: string, content: Buffer | Uint8Array) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};

async function parquetWithBytes(name: string): Promise<string> {
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: "prompt", data: ["first", "second", "third"] },
      // Raw BYTE_ARRAY values: the second is "caf" + Latin-1 é, not UTF-8.
      {
        name: "answer",
        data: [bytes("ok"), bytes("caf", [0xe9]), bytes("fine")],
        type: "BYTE_ARRAY",
      },
    ],
  });
  return write(name, new Uint8Array(buffer));
}

/** Each bad file, and the row and column its bad cell is at. */
async function badFiles(): Promise<{ file: string; row: number; column: string; what: RegExp }[]> {
  return [
    {
      file: write("latin1.csv", bytes("prompt,answer\nhi,hello\nMenu?,caf", [0xe9], " au lait\n")),
      row: 2,
      column: "answer",
      what: /bytes that are not valid UTF-8/,
    },
    {
      file: write("nul.csv", bytes("prompt,answer\nhi,hel", [0], "lo\nbye,ciao\n")),
      row: 1,
      column: "answer",
      what: /NUL characters \(U\+0000\)/,
    },
    {
      file: write(
        "bad.jsonl",
        bytes('{"prompt":"a","answer":"b"}\n\n{"prompt":"x', [0xff], '","answer":"y"}\n'),
      ),
      row: 3, // the line
      column: "prompt",
      what: /bytes that are not valid UTF-8/,
    },
    {
      file: write(
        "cut.json",
        bytes('[{"prompt":"a","answer":"b"},{"prompt":"ok","answer":"cut ', [0xe2, 0x82], '"}]'),
      ),
      row: 2,
      column: "answer",
      what: /bytes that are not valid UTF-8/,
    },
    { file: await parquetWithBytes("latin1.parquet"), row: 2, column: "answer", what: /not valid UTF-8/ },
  ];
}

test("a file with bytes that are not UTF-8 or with NULs is refused, naming the file, row and column", async () => {
  for (const { file, row, column, what } of await badFiles()) {
    await assert.rejects(Dataset.fromFile(file), (e: unknown) => {
      assert.ok(e instanceof DatasetReadError, String(e));
      assert.equal(e.path, file);
      assert.match(e.message, what);
      assert.ok(e.message.includes(`row ${row}, column "${column}"`), e.message);
      assert.match(e.message, /allowInvalidText: true \(YAML: dataset\.allow_invalid_text: true\)/);
      return true;
    });
  }
});

test("with allowInvalidText the file is read, bad bytes replaced, and a warning names the cell", async () => {
  for (const { file, row, column, what } of await badFiles()) {
    const warnings: DatasetWarning[] = [];
    const data = await Dataset.fromFile(file, { allowInvalidText: true, onWarning: (w) => warnings.push(w) });
    assert.equal(warnings.length, 1, file);
    assert.deepEqual(
      [warnings[0].code, warnings[0].column, warnings[0].rows],
      ["invalid-text", column, [row]],
    );
    assert.match(warnings[0].message, what);
    assert.ok(warnings[0].message.includes(path.basename(file)), warnings[0].message);
    assert.ok(data.length >= 2);
  }
  const latin1 = await Dataset.fromCsv(path.join(dir, "latin1.csv"), {
    allowInvalidText: true,
    onWarning: () => {},
  });
  assert.equal(latin1.records[1].answer, "caf\uFFFD au lait");
  const nul = await Dataset.fromCsv(path.join(dir, "nul.csv"), {
    allowInvalidText: true,
    onWarning: () => {},
  });
  assert.equal(nul.records[0].answer, "hel\u0000lo");
});

test("valid UTF-8 reads unchanged, U+FFFD written as UTF-8 included", async () => {
  const file = write("fine.csv", bytes("prompt,answer\nGrüße 🙂,a \uFFFD marks a lost byte\n"));
  const data = await Dataset.fromCsv(file);
  assert.deepEqual(data.records, [{ prompt: "Grüße 🙂", answer: "a \uFFFD marks a lost byte" }]);
  const jsonl = write("fine.jsonl", bytes(`${JSON.stringify({ prompt: "x\uFFFD", answer: "ü" })}\n`));
  assert.deepEqual((await Dataset.fromJsonl(jsonl)).records, [{ prompt: "x\uFFFD", answer: "ü" }]);
});

test("dataset.allow_invalid_text reaches the readers of the training and validation files", async () => {
  const config = (allow: boolean) =>
    parseExperimentConfig({
      architecture: { backbone: path.resolve("assets/tiny-llama") },
      dataset: {
        train_file: path.join(dir, "latin1.csv"),
        validation_file: path.join(dir, "nul.csv"),
        allow_invalid_text: allow,
      },
    });
  await assert.rejects(datasetFromConfig(config(false)), /latin1\.csv: found bytes that are not valid UTF-8/);
  const warnings: DatasetWarning[] = [];
  const data = await datasetFromConfig(config(true), (w) => warnings.push(w));
  const { validation } = await data.prepare({
    tokenizer: await loadTokenizer({ dir: path.resolve("assets/tiny-llama") }),
    onWarning: (w) => warnings.push(w),
  });
  assert.equal(validation?.examples.length, 2);
  assert.deepEqual(
    warnings.map((w) => [w.code, path.basename(w.message.split(":")[0])]),
    [
      ["invalid-text", "latin1.csv"],
      ["invalid-text", "nul.csv"],
    ],
  );
});
