import { type Batch, buildBatch } from "./batch";
import { type BatchOptions, type BatchOptionsInput, parseBatchOptions } from "./batch-options";
import { DatasetError } from "./dataset-error";
import { packExamples } from "./pack-examples";
import { mixSeeds, seededPermutation } from "./rng";
import type { DataRecord, RecordTable } from "./table";
import type { TokenizedExample } from "./tokenize-examples";

/** The batches of one epoch: iterate them; `numBatches` says how many the whole epoch has. */
export interface EpochBatches extends Iterable<Batch> {
  /** Batches in the epoch, counting those before `startBatch`. */
  numBatches: number;
}

/**
 * Tokenized examples ready for training: produces seeded, resumable batches.
 *
 * @example
 * ```ts
 * const train = await (await Dataset.fromCsv("train.csv")).columns({ prompt: "q", answer: "a" }).tokenize({ tokenizer });
 * for (const batch of train.batches({ batchSize: 8, epoch: 0 })) console.log(batch.seqLen);
 * ```
 */
export class TokenizedDataset {
  /** The examples, in source order. */
  readonly examples: readonly TokenizedExample[];
  /** `maxLength` they were tokenized with (the packing capacity). */
  readonly maxLength: number;
  /** Padding id of the tokenizer. */
  readonly padTokenId: number;
  /** Where the data came from, for messages. */
  readonly source: string;
  private readonly table?: RecordTable;
  private byRow?: Map<number, DataRecord>;
  private packed?: { capacity: number; rows: TokenizedExample[][] };

  /**
   * @param options - examples, maxLength, padTokenId, source, and the table the examples' rows refer to
   */
  constructor(options: {
    examples: readonly TokenizedExample[];
    maxLength: number;
    padTokenId: number;
    source?: string;
    table?: RecordTable;
  }) {
    this.examples = options.examples;
    this.maxLength = options.maxLength;
    this.padTokenId = options.padTokenId;
    this.source = options.source ?? "dataset";
    this.table = options.table;
  }

  /**
   * The source record (every original column) an example came from: the last record of a chained
   * conversation.
   * @param row - an example's 1-based source `row`
   * @returns the record, or `undefined` when the dataset was built without its table
   * @example
   * ```ts
   * validation.recordAt(validation.examples[0].row)?.question;
   * ```
   */
  recordAt(row: number): DataRecord | undefined {
    if (!this.table) return undefined;
    if (!this.byRow) {
      const t = this.table;
      this.byRow = new Map(t.rows.map((r, i) => [r, t.records[i]] as const));
    }
    return this.byRow.get(row);
  }

  /** Number of examples. */
  /**
   * A seeded sample of the examples, kept in source order: the same `(fraction, seed)` picks the same examples
   * every time, at least one.
   * @param fraction - share of the examples to keep, in (0, 1]
   * @param seed - seed of the choice
   * @returns a dataset of the chosen examples (the same one when `fraction` is 1)
   * @throws RangeError for a fraction outside (0, 1]
   * @example
   * ```ts
   * const scored = validation.sample(0.25, 42);
   * ```
   */
  sample(fraction: number, seed: number): TokenizedDataset {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new RangeError(`TokenizedDataset.sample: fraction must be in (0, 1], got ${fraction}`);
    }
    if (fraction === 1) return this;
    const n = Math.max(1, Math.round(this.examples.length * fraction));
    const chosen = [...seededPermutation(this.examples.length, seed).subarray(0, n)].sort((a, b) => a - b);
    return new TokenizedDataset({
      examples: chosen.map((i) => this.examples[i]),
      maxLength: this.maxLength,
      padTokenId: this.padTokenId,
      source: this.source,
      table: this.table,
    });
  }

  get length(): number {
    return this.examples.length;
  }

  /** Trained-on tokens over all examples (labels that are not -100). */
  get numTargetTokens(): number {
    let n = 0;
    for (const ex of this.examples) for (let i = 1; i < ex.target.length; i++) n += ex.target[i];
    return n;
  }

  /**
   * The batches of one epoch, in a seeded order that is the same on every run: `(seed, epoch)` fixes the
   * order, so a run resumed with `{ epoch: e, startBatch: b }` yields exactly the batches b, b+1, … that an
   * uninterrupted run would have. With `packing`, the examples are packed into rows of `packLength` tokens once
   * (the same rows every epoch, see {@link packExamples}), and the rows are shuffled per epoch: `batchSize`
   * counts rows, and every epoch has the same number of batches.
   * @param input - batch size, shuffle and seed, epoch and start batch, padding and packing
   * @returns the epoch's batches
   * @throws {@link DatasetError} when there are fewer examples (or packed rows, with `dropLast`) than one batch
   * @throws ConfigError for invalid options
   * @example
   * ```ts
   * const epoch = train.batches({ batchSize: 4, seed: 7, epoch: 2, startBatch: 10 });
   * ```
   */
  batches(input: BatchOptionsInput): EpochBatches {
    const o = parseBatchOptions(input);
    if (this.examples.length < o.batchSize) {
      throw new DatasetError(
        `expected at least one full batch of ${o.batchSize} examples, found ${this.examples.length}; lower batchSize or add data`,
        { source: this.source },
      );
    }
    const rows = o.packing
      ? this.packedRows(o)
      : [...this.order(this.examples.length, o)].map((i) => [this.examples[i]]);
    const full = Math.floor(rows.length / o.batchSize);
    const numBatches = o.dropLast || rows.length % o.batchSize === 0 ? full : full + 1;
    if (numBatches === 0) {
      throw new DatasetError(
        `expected at least one full batch of ${o.batchSize} rows, found ${rows.length} packed rows; lower batchSize or set dropLast to false`,
        { source: this.source },
      );
    }
    const self = this;
    return {
      numBatches,
      *[Symbol.iterator]() {
        for (let b = o.startBatch; b < numBatches; b++) {
          const group = rows.slice(b * o.batchSize, (b + 1) * o.batchSize);
          yield buildBatch(group, {
            seqLen: self.batchLength(group, o),
            padTokenId: self.padTokenId,
            packed: o.packing,
            epoch: o.epoch,
            index: b,
          });
        }
      },
    };
  }

  /** `0..n−1`, shuffled by `(seed, epoch)` when `shuffle` is on. */
  private order(n: number, o: BatchOptions): Uint32Array {
    return o.shuffle
      ? seededPermutation(n, mixSeeds(o.seed, o.epoch))
      : Uint32Array.from({ length: n }, (_, i) => i);
  }

  /** The packed rows (the same every epoch; see {@link packExamples}) in the epoch's order. */
  private packedRows(o: BatchOptions): TokenizedExample[][] {
    const capacity = o.packLength ?? this.maxLength;
    if (this.packed?.capacity !== capacity)
      this.packed = { capacity, rows: packExamples(this.examples, capacity) };
    const rows = this.packed.rows;
    return [...this.order(rows.length, o)].map((r) => rows[r]);
  }

  private batchLength(group: TokenizedExample[][], o: BatchOptions): number {
    const lengths = group.map((r) => r.reduce((n, ex) => n + ex.ids.length, 0)).sort((a, b) => a - b);
    const q = o.packing ? 1 : o.paddingQuantile;
    const longest = lengths[Math.max(0, Math.ceil(q * lengths.length) - 1)];
    const len = Math.max(1, o.packing ? Math.min(longest, o.packLength ?? this.maxLength) : longest);
    return Math.ceil(len / o.padToMultipleOf) * o.padToMultipleOf;
  }
}
