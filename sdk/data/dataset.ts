import type { DataFrame } from "danfojs-node";
import { parseOptions } from "../errors";
import { showRich } from "../util";
import {
  type ColumnMapping,
  type ColumnMappingInput,
  mappedColumns,
  parseColumnMapping,
} from "./column-mapping";
import { type WarningHandler, warnOnStderr } from "./dataset-warning";
import type { Example } from "./examples";
import { type FormatOptionsInput, parseFormatOptions } from "./format-options";
import { mapRecordsToExamples } from "./map-examples";
import { tableFromDataFrame, tableToDataFrame } from "./readers/dataframe";
import { readCsv } from "./readers/read-csv";
import { readFile } from "./readers/read-file";
import { readJson } from "./readers/read-json";
import { readJsonl } from "./readers/read-jsonl";
import { readParquet } from "./readers/read-parquet";
import type { TextReadOptions } from "./readers/text-check";
import {
  type SampleOptions,
  SampleOptionsSchema,
  SplitOptionsSchema,
  sampleItems,
  splitItems,
} from "./split";
import { type DatasetSummary, tokenStats } from "./summary";
import { type DataRecord, type RecordTable, tableFromRecords } from "./table";
import { TableView } from "./table-view";
import type { TextTokenizer } from "./text-tokenizer";
import { tokenizeExamples } from "./tokenize-examples";
import { TokenizedDataset } from "./tokenized-dataset";

/** Where validation data comes from: a fraction of this dataset, another dataset, or a file. */
export type ValidationSource = { size: number; seed?: number } | { dataset: Dataset } | { file: string };

/** Options of {@link Dataset.tokenize} and {@link Dataset.prepare}. */
export type TokenizeOptions = FormatOptionsInput & { tokenizer: TextTokenizer; onWarning?: WarningHandler };

/** The mapping used when none is set: a `messages` column, `prompt`/`answer`, `instruction`/`output`, or `text`. */
function defaultMapping(columns: readonly string[]): ColumnMapping {
  const has = (c: string) => columns.includes(c);
  if (has("messages")) return parseColumnMapping({ messages: "messages" });
  if (has("instruction") && has("output"))
    return parseColumnMapping({ prompt: "instruction", answer: "output" });
  if (has("text") && !has("prompt")) return parseColumnMapping({ text: "text" });
  return parseColumnMapping({ prompt: "prompt", answer: "answer" });
}

interface DatasetState {
  table: RecordTable;
  /** How the file was read (also used for a validation file). */
  read?: TextReadOptions;
  mapping?: ColumnMapping;
  validation?: ValidationSource;
  sample?: SampleOptions;
}

/**
 * A table of training data with a column mapping, a validation split and views. Immutable: every fluent
 * method returns a new `Dataset`. Records are held as plain objects; a danfojs DataFrame is made on demand.
 *
 * @example
 * ```ts
 * const data = (await Dataset.fromCsv("train.csv")).columns({ prompt: "instruction", answer: "output" }).validation({ size: 0.1 });
 * data.head(3).toString();
 * const { train, validation } = await data.prepare({ tokenizer, maxLength: 512 });
 * ```
 */
export class Dataset {
  private readonly state: DatasetState;

  private constructor(state: DatasetState) {
    this.state = state;
  }

  /**
   * Reads a CSV/TSV file (streamed; quoting, embedded newlines, unicode; empty cells become `null`).
   * @param path - the file
   * @param options - `delimiter` (detected when left out); `allowInvalidText` and `onWarning` (see {@link TextReadOptions})
   * @returns the dataset
   * @throws DatasetReadError when the file is missing or malformed, or holds bytes that are not UTF-8 or NUL
   *   characters (unless `allowInvalidText`)
   * @example
   * ```ts
   * const data = await Dataset.fromCsv("train.csv");
   * ```
   */
  static async fromCsv(
    path: string,
    options: { delimiter?: string } & TextReadOptions = {},
  ): Promise<Dataset> {
    return new Dataset({ table: await readCsv(path, options), read: options });
  }

  /**
   * Reads a JSON file holding an array of records.
   * @param path - the file
   * @param options - `allowInvalidText` and `onWarning` (see {@link TextReadOptions})
   * @returns the dataset
   * @throws DatasetReadError when the file is missing, invalid, or not an array of objects, or holds bytes that
   *   are not UTF-8 or NUL characters (unless `allowInvalidText`)
   * @example
   * ```ts
   * const data = await Dataset.fromJson("train.json");
   * ```
   */
  static async fromJson(path: string, options: TextReadOptions = {}): Promise<Dataset> {
    return new Dataset({ table: await readJson(path, options), read: options });
  }

  /**
   * Reads a JSON Lines file, streamed line by line.
   * @param path - the file
   * @param options - `keepColumns` keeps only those fields (for large files); `allowInvalidText`, `onWarning`
   * @returns the dataset
   * @throws DatasetReadError naming the line of an invalid record, or of bytes that are not UTF-8 or NUL
   *   characters (unless `allowInvalidText`)
   * @example
   * ```ts
   * const data = await Dataset.fromJsonl("chats.jsonl", { keepColumns: ["messages"] });
   * ```
   */
  static async fromJsonl(
    path: string,
    options: { keepColumns?: string[] } & TextReadOptions = {},
  ): Promise<Dataset> {
    return new Dataset({ table: await readJsonl(path, options), read: options });
  }

  /**
   * Reads a Parquet file (hyparquet).
   * @param path - the file
   * @param options - `allowInvalidText` and `onWarning` (see {@link TextReadOptions})
   * @returns the dataset
   * @throws DatasetReadError when the file is missing or not Parquet, or a string holds bytes that are not
   *   UTF-8 or NUL characters (unless `allowInvalidText`)
   * @example
   * ```ts
   * const data = await Dataset.fromParquet("train.parquet");
   * ```
   */
  static async fromParquet(path: string, options: TextReadOptions = {}): Promise<Dataset> {
    return new Dataset({ table: await readParquet(path, options), read: options });
  }

  /**
   * Reads a file by its extension: .csv .tsv .json .jsonl .ndjson .parquet.
   * @param path - the file
   * @param options - `allowInvalidText` and `onWarning` (see {@link TextReadOptions})
   * @returns the dataset
   * @throws DatasetReadError for an unknown extension or unreadable content, or text that is not UTF-8 or holds
   *   NUL characters (unless `allowInvalidText`)
   * @example
   * ```ts
   * const data = await Dataset.fromFile("train.jsonl");
   * ```
   */
  static async fromFile(path: string, options: TextReadOptions = {}): Promise<Dataset> {
    return new Dataset({ table: await readFile(path, options), read: options });
  }

  /**
   * Wraps a danfojs DataFrame (its rows are copied into records).
   * @param df - the DataFrame
   * @returns the dataset
   * @example
   * ```ts
   * const data = Dataset.fromDataFrame(new dfd.DataFrame({ q: ["hi"], a: ["hello"] }));
   * ```
   */
  static fromDataFrame(df: DataFrame): Dataset {
    return new Dataset({ table: tableFromDataFrame(df) });
  }

  /**
   * Wraps plain records.
   * @param records - objects, one per row
   * @returns the dataset
   * @example
   * ```ts
   * const data = Dataset.fromRecords([{ q: "2+2?", a: "4" }]);
   * ```
   */
  static fromRecords(records: readonly DataRecord[]): Dataset {
    return new Dataset({
      table: tableFromRecords(
        records.map((r) => ({ ...r })),
        "records",
      ),
    });
  }

  /** Rows in the source. */
  get length(): number {
    return this.state.table.records.length;
  }

  /** Column names in the source. */
  get columnNames(): string[] {
    return [...this.state.table.columns];
  }

  /** The source's records (read-only). */
  get records(): readonly DataRecord[] {
    return this.state.table.records;
  }

  /**
   * The column mapping in force: the one set with {@link columns}, or the one chosen from the column names.
   * @returns the mapping (defaults applied)
   * @example
   * ```ts
   * const rejected = data.columns({ ...data.columnMapping(), answer: "rejected" });
   * ```
   */
  columnMapping(): ColumnMapping {
    return this.state.mapping ?? defaultMapping(this.state.table.columns);
  }

  /**
   * Sets the column mapping (see `ColumnMappingSchema`).
   * @param mapping - e.g. `{ prompt: "instruction", answer: "output" }`, `{ messages: "messages" }`, `{ text: "body" }`
   * @returns a new dataset with the mapping
   * @throws ConfigError for an inconsistent mapping
   * @example
   * ```ts
   * data.columns({ prompt: ["instruction", "input"], answer: "output", system: "system" });
   * ```
   */
  columns(mapping: ColumnMappingInput): Dataset {
    return new Dataset({ ...this.state, mapping: parseColumnMapping(mapping) });
  }

  /**
   * Sets the validation data: a seeded fraction of this dataset's examples, another dataset, or a file
   * (read with the same column mapping unless it has its own).
   * @param source - `{ size, seed? }`, `{ dataset }` or `{ file }`
   * @returns a new dataset
   * @throws ConfigError for a size outside (0, 1)
   * @example
   * ```ts
   * data.validation({ size: 0.1, seed: 7 });
   * ```
   */
  validation(source: ValidationSource): Dataset {
    if ("size" in source) parseOptions(SplitOptionsSchema, source, "Dataset.validation()");
    return new Dataset({ ...this.state, validation: source });
  }

  /**
   * Keeps a seeded random fraction of the examples. Without `splits` the sample is taken after column mapping,
   * before the validation split; with `splits` (H2O LLM Studio's `data_sample_choice`) the data is split first
   * and only the named parts are sampled: `["train"]` keeps the whole validation set, `["validation"]` the whole
   * training set, and a validation file or dataset is sampled too when `"validation"` is named.
   * @param options - `{ fraction, seed?, splits? }`
   * @returns a new dataset
   * @throws ConfigError for a fraction outside (0, 1] or an unknown split name
   * @example
   * ```ts
   * data.sample({ fraction: 0.25 });
   * data.sample({ fraction: 0.1, splits: ["train"] }); // a tenth of the training part, all of validation
   * ```
   */
  sample(options: { fraction: number; seed?: number; splits?: ("train" | "validation")[] }): Dataset {
    return new Dataset({
      ...this.state,
      sample: parseOptions(SampleOptionsSchema, options, "Dataset.sample()"),
    });
  }

  /**
   * The examples the column mapping makes, checked (see docs/datasets.md for every check), after sampling
   * (when the sample applies to the training part, or to no part in particular).
   * @param onWarning - receives `dropped-rows` warnings (default: {@link warnOnStderr})
   * @returns the examples
   * @throws DatasetError for invalid data; ConfigError when no mapping is set
   * @example
   * ```ts
   * const examples = data.examples((w) => console.warn(w.message));
   * ```
   */
  examples(onWarning: WarningHandler = warnOnStderr): Example[] {
    return this.sampled(this.mappedExamples(onWarning), "train");
  }

  private mappedExamples(onWarning: WarningHandler = warnOnStderr): Example[] {
    return mapRecordsToExamples(this.state.table, this.columnMapping(), onWarning);
  }

  /** Applies the sample to `items` when it covers `split` (a sample without `splits` covers the whole data). */
  private sampled(items: Example[], split: "train" | "validation"): Example[] {
    const s = this.state.sample;
    if (!s || (s.splits !== undefined && !s.splits.includes(split))) return items;
    return sampleItems(items, s);
  }

  /**
   * Formats and tokenizes all examples (no split).
   * @param options - tokenizer, formatting options (`maxLength`, `template`, `maskPrompt`, …), `onWarning`
   * @returns the tokenized dataset
   * @throws DatasetError for invalid data; ConfigError for invalid options
   * @example
   * ```ts
   * const all = data.tokenize({ tokenizer, maxLength: 256 });
   * ```
   */
  tokenize(options: TokenizeOptions): TokenizedDataset {
    return this.tokenizeExamples(this.examples(options.onWarning), options);
  }

  /**
   * Splits (by the validation setting) and tokenizes: the trainer's input.
   * @param options - tokenizer, formatting options, `onWarning`
   * @returns `train`, and `validation` when a validation source is set
   * @throws DatasetError for invalid data; ConfigError for invalid options
   * @example
   * ```ts
   * const { train, validation } = await data.prepare({ tokenizer, maxLength: 512 });
   * ```
   */
  async prepare(
    options: TokenizeOptions,
  ): Promise<{ train: TokenizedDataset; validation?: TokenizedDataset }> {
    const v = this.state.validation;
    if (v === undefined) return { train: this.tokenizeExamples(this.examples(options.onWarning), options) };
    const perSplit = this.state.sample?.splits !== undefined;
    const examples = perSplit ? this.mappedExamples(options.onWarning) : this.examples(options.onWarning);
    let valExamples: Example[];
    let valTable = this.state.table;
    let trainExamples = examples;
    if ("size" in v) {
      const parts = splitItems(examples, parseOptions(SplitOptionsSchema, v, "Dataset.validation()"));
      trainExamples = parts.train;
      valExamples = parts.validation;
    } else {
      const other = "dataset" in v ? v.dataset : await Dataset.fromFile(v.file, this.state.read);
      const withMapping =
        other.state.mapping || !this.state.mapping ? other : other.columns(this.state.mapping);
      valExamples = withMapping.examples(options.onWarning);
      valTable = other.state.table;
    }
    if (perSplit) {
      trainExamples = this.sampled(trainExamples, "train");
      valExamples = this.sampled(valExamples, "validation");
    }
    return {
      train: this.tokenizeExamples(trainExamples, options),
      validation: this.tokenizeExamples(valExamples, options, valTable),
    };
  }

  private tokenizeExamples(
    examples: Example[],
    options: TokenizeOptions,
    table = this.state.table,
  ): TokenizedDataset {
    const { tokenizer, onWarning = warnOnStderr, ...format } = options;
    const f = parseFormatOptions(format);
    return new TokenizedDataset({
      examples: tokenizeExamples(examples, tokenizer, f, onWarning),
      maxLength: f.maxLength,
      padTokenId: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0,
      source: table.source,
      table,
    });
  }

  /**
   * The first rows as a table view (`toHTML()` for notebooks, `toString()` for terminals). After
   * {@link sample}, only the sampled rows are shown and counted.
   * @param n - rows to show (default 5)
   * @returns the view
   * @throws DatasetError for invalid data when a sample is set (sampling needs the examples)
   * @example
   * ```ts
   * console.log(data.head(3).toString());
   * ```
   */
  head(n = 5): TableView {
    const t = this.state.table;
    const columns = this.state.mapping ? mappedColumns(this.state.mapping) : t.columns;
    let picked = t.records.map((_, i) => i);
    if (this.state.sample) {
      const kept = new Set(this.examples(() => {}).map((e) => e.row));
      picked = picked.filter((i) => kept.has(t.rows[i]));
    }
    const shown = picked.slice(0, n);
    return new TableView({
      columns,
      records: shown.map((i) => t.records[i]),
      rows: shown.map((i) => t.rows[i]),
      totalRows: picked.length,
    });
  }

  /**
   * Shows the first rows: an HTML table in a notebook (after `import "tunebook"`), a text table elsewhere.
   * @param n - rows to show (default 5)
   * @returns nothing
   * @throws DatasetError for invalid data when a sample is set
   * @example
   * ```ts
   * data.show(10);
   * ```
   */
  show(n = 5): void {
    showRich(this.head(n));
  }

  /** @returns the first 5 rows as an HTML table (notebook display) */
  toHTML(): string {
    return this.head().toHTML();
  }

  /** @returns the first 5 rows as a text table */
  toString(): string {
    return this.head().toString();
  }

  /**
   * Statistics: rows, columns, missing cells, examples, and with a tokenizer token lengths and a histogram.
   * @param options - `tokenizer` and formatting options to measure token lengths
   * @returns the summary
   * @throws DatasetError for invalid data when a mapping or tokenizer is used
   * @example
   * ```ts
   * const s = data.summary({ tokenizer }); s.tokens?.histogram; // a plotly figure
   * ```
   */
  summary(options?: TokenizeOptions): DatasetSummary {
    const t = this.state.table;
    const missing: Record<string, number> = {};
    for (const c of t.columns)
      missing[c] = t.records.filter((r) => r[c] === null || r[c] === undefined).length;
    const out: DatasetSummary = { rows: t.records.length, columns: [...t.columns], missing };
    if (this.state.mapping || options) {
      const examples = this.examples(options?.onWarning);
      out.examples = examples.length;
      if (options)
        out.tokens = tokenStats(this.tokenizeExamples(examples, options).examples, "Token lengths");
    }
    return out;
  }

  /**
   * A danfojs DataFrame of the records (danfojs is loaded now, on first use; nested values become JSON text).
   * @returns the DataFrame
   * @example
   * ```ts
   * const df = data.toDataFrame(); df.describe();
   * ```
   */
  toDataFrame(): DataFrame {
    return tableToDataFrame(this.state.table);
  }
}
