/**
 * A byte-level BPE trainer that writes a Hugging Face `tokenizer.json` (GPT-2 / Qwen style), so the tiny demo
 * model's tokenizer is made here from its own training text instead of being downloaded.
 *
 * The vocabulary is the 256 byte symbols (GPT-2's bytes-to-unicode table, ids 0–255 in byte order), then one
 * token per learnt merge, then the special tokens. Text is split with the ByteLevel pre-tokenizer's regex
 * (`use_regex: true`, GPT-2's pattern with Unicode letter/number classes) before merges are counted, so the
 * merges never cross a piece boundary — exactly what `@huggingface/tokenizers` does when it encodes.
 * Ties between equally frequent pairs go to the lexicographically smallest pair, which makes the result a
 * pure function of the text (and equal to `test/reference/tiny_bpe.py` on ASCII text).
 */
import { z } from "zod";
import { ConfigError } from "../../sdk/errors";

/** GPT-2's pre-tokenization pattern, as the ByteLevel pre-tokenizer applies it. */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Options of {@link trainByteLevelBpe}. */
export const BpeOptionsSchema = z
  .object({
    /** Training texts (documents); counted piece by piece. */
    texts: z.array(z.string()).min(1),
    /** Total vocabulary size: 256 bytes + merges + special tokens. */
    vocabSize: z.number().int().min(260).max(65535),
    /** Special tokens, appended after the merges in this order. */
    specialTokens: z.array(z.string().min(1)).default(["<|endoftext|>"]),
    /** Pairs seen fewer times than this are never merged (training stops early). */
    minFrequency: z.number().int().min(1).default(2),
  })
  .strict();

/** Input of {@link trainByteLevelBpe}. */
export type BpeOptions = z.input<typeof BpeOptionsSchema>;

/** What {@link trainByteLevelBpe} learns. */
export interface TrainedBpe {
  /** The Hugging Face `tokenizer.json` object. */
  tokenizerJson: Record<string, unknown>;
  /** Learnt merges, in order, as pairs of byte-level strings. */
  merges: [string, string][];
  /** Special token → id. */
  specialIds: Record<string, number>;
  /** Total number of tokens (bytes + merges + specials). */
  size: number;
}

/**
 * GPT-2's reversible map from the 256 byte values to printable characters.
 * @returns the character of each byte value 0–255
 * @example
 * ```ts
 * bytesToUnicode()[32]; // "Ġ"
 * ```
 */
export function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable(b) ? b : 256 + extra++);
  return out;
}

/** Unique pre-tokenized pieces with their counts. */
function countPieces(texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(GPT2_SPLIT)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  }
  return counts;
}

const KEY = 65536;

/** The working state of the trainer: words as symbol-id arrays, pair counts, and which words hold a pair. */
class PairTable {
  readonly counts = new Map<number, number>();
  readonly where = new Map<number, Set<number>>();

  constructor(
    readonly words: number[][],
    readonly freqs: number[],
  ) {
    for (let w = 0; w < words.length; w++) this.addWord(w, 1);
  }

  addWord(w: number, sign: 1 | -1): void {
    const word = this.words[w];
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i] * KEY + word[i + 1];
      const n = (this.counts.get(key) ?? 0) + sign * this.freqs[w];
      if (n > 0) this.counts.set(key, n);
      else this.counts.delete(key);
      if (sign > 0) {
        const set = this.where.get(key);
        if (set) set.add(w);
        else this.where.set(key, new Set([w]));
      }
    }
  }

  /** The most frequent pair; ties go to the lexicographically smallest (left string, then right string). */
  best(symbols: readonly string[]): { key: number; count: number } | undefined {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of this.counts) {
      if (count < bestCount) continue;
      if (count === bestCount && !lessThan(key, bestKey, symbols)) continue;
      bestKey = key;
      bestCount = count;
    }
    return bestKey < 0 ? undefined : { key: bestKey, count: bestCount };
  }

  /** Replaces every occurrence of the pair `key` by symbol `merged` in the words that hold it. */
  merge(key: number, merged: number): void {
    const a = Math.floor(key / KEY);
    const b = key % KEY;
    for (const w of this.where.get(key) ?? []) {
      const word = this.words[w];
      if (!hasPair(word, a, b)) continue;
      this.addWord(w, -1);
      const out: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(word[i]);
      }
      this.words[w] = out;
      this.addWord(w, 1);
    }
    this.where.delete(key);
  }
}

function hasPair(word: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < word.length; i++) if (word[i] === a && word[i + 1] === b) return true;
  return false;
}

function lessThan(key: number, other: number, symbols: readonly string[]): boolean {
  const [a, b] = [symbols[Math.floor(key / KEY)], symbols[key % KEY]];
  const [c, d] = [symbols[Math.floor(other / KEY)], symbols[other % KEY]];
  return a < c || (a === c && b < d);
}

/**
 * Learns up to `count` merges over the pieces of `texts`.
 * @param texts - training documents
 * @param count - maximum number of merges
 * @param minFrequency - stop when the best pair is rarer than this
 * @returns the merges in order, as pairs of byte-level strings
 * @example
 * ```ts
 * const merges = learnMerges(["the cat the hat"], 10, 2); // [["Ġ", "t"], …]
 * ```
 */
export function learnMerges(texts: readonly string[], count: number, minFrequency = 2): [string, string][] {
  const byteChars = bytesToUnicode();
  const symbols = [...byteChars];
  const ids = new Map(symbols.map((s, i) => [s, i]));
  const encoder = new TextEncoder();
  const pieces = countPieces(texts);
  const table = new PairTable(
    [...pieces.keys()].map((p) => Array.from(encoder.encode(p))),
    [...pieces.values()],
  );
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const best = table.best(symbols);
    if (!best || best.count < minFrequency) break;
    const [a, b] = [symbols[Math.floor(best.key / KEY)], symbols[best.key % KEY]];
    merges.push([a, b]);
    let merged = ids.get(a + b);
    if (merged === undefined) {
      merged = symbols.push(a + b) - 1;
      ids.set(a + b, merged);
    }
    table.merge(best.key, merged);
  }
  return merges;
}

const byteLevel = (addPrefixSpace: boolean) => ({
  type: "ByteLevel",
  add_prefix_space: addPrefixSpace,
  trim_offsets: true,
  use_regex: true,
});

/**
 * Trains a byte-level BPE tokenizer and returns it as a Hugging Face `tokenizer.json` object.
 * @param options - `texts`, `vocabSize` (bytes + merges + specials), `specialTokens`, `minFrequency`
 * @returns the tokenizer JSON, the merges and the special-token ids
 * @throws ConfigError for invalid options (e.g. a vocabulary too small for the bytes and special tokens)
 * @example
 * ```ts
 * const { tokenizerJson } = trainByteLevelBpe({ texts: ["Call me Ishmael."], vocabSize: 300 });
 * ```
 */
export function trainByteLevelBpe(options: BpeOptions): TrainedBpe {
  const parsed = BpeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
    throw new ConfigError(issues, { source: "trainByteLevelBpe options" });
  }
  const o = parsed.data;
  const numMerges = o.vocabSize - 256 - o.specialTokens.length;
  if (numMerges < 0) {
    const message = `expected ≥ ${256 + o.specialTokens.length} (256 bytes + special tokens), got ${o.vocabSize}`;
    throw new ConfigError([{ path: ["vocabSize"], message }], { source: "trainByteLevelBpe options" });
  }
  const byteChars = bytesToUnicode();
  const vocab: Record<string, number> = Object.fromEntries(byteChars.map((c, b) => [c, b]));
  const merges = learnMerges(o.texts, numMerges, o.minFrequency);
  for (const [a, b] of merges) vocab[a + b] ??= Object.keys(vocab).length;
  let next = Object.keys(vocab).length;
  const specialIds: Record<string, number> = {};
  const added = o.specialTokens.map((content) => {
    specialIds[content] = next++;
    const flags = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
    return { id: specialIds[content], content, ...flags };
  });
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel(false),
    post_processor: byteLevel(false),
    decoder: byteLevel(true),
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  return { tokenizerJson, merges, specialIds, size: next };
}
