/**
 * The tokenizer part of a GGUF file's metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`), read from the
 * model's `tokenizer.json` and `Tokenizer`. Byte-level BPE tokenizers (GPT-2, Llama 3, Qwen) are written as
 * llama.cpp's `gpt2` model: the vocabulary strings in byte-level form, the merges as `"a b"`, token types
 * (added special tokens are control tokens, other added tokens user-defined, padding rows unused) and the
 * pre-tokenizer name llama.cpp knows for the tokenizer's split pattern. SentencePiece-style tokenizers are refused.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Tokenizer } from "../../tokenizer";
import { ExportError } from "../export-error";
import type { GgufMetadataValue } from "./gguf-file";

/** llama.cpp's token types (`llama_token_type`). */
const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4, unused: 5 } as const;

/** GPT-2's split pattern (Hugging Face's ByteLevel pre-tokenizer with `use_regex: true`). */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** llama.cpp's pre-tokenizer names (`tokenizer.ggml.pre`) by the split pattern they implement. */
const PRE_BY_PATTERN: Readonly<Record<string, string>> = {
  [GPT2_PATTERN]: "gpt-2",
  [LLAMA3_PATTERN]: "llama-bpe",
  [QWEN2_PATTERN]: "qwen2",
};

/** The `tokenizer.ggml.pre` names the export recognises or accepts (llama.cpp knows many more). */
export const KNOWN_PRE_TOKENIZERS = ["gpt-2", "llama-bpe", "qwen2"] as const;

interface TokenizerJson {
  model?: {
    type?: string;
    vocab?: Record<string, number>;
    merges?: (string | [string, string])[];
    byte_fallback?: boolean;
  };
  pre_tokenizer?: PreTokenizer | null;
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

interface PreTokenizer {
  type?: string;
  use_regex?: boolean;
  pattern?: { Regex?: string; String?: string };
  pretokenizers?: PreTokenizer[];
}

/**
 * The split pattern of a byte-level pre-tokenizer: ByteLevel with its own regex, or a Split followed by a
 * ByteLevel without one.
 */
function splitPattern(pre: PreTokenizer | null | undefined): string | undefined {
  if (pre?.type === "ByteLevel") return pre.use_regex === false ? undefined : GPT2_PATTERN;
  if (pre?.type !== "Sequence" || !pre.pretokenizers) return undefined;
  const [split, byteLevel, ...rest] = pre.pretokenizers;
  if (rest.length || split?.type !== "Split" || byteLevel?.type !== "ByteLevel" || byteLevel.use_regex) {
    return undefined;
  }
  return split.pattern?.Regex;
}

/** What {@link tokenizerMetadata} needs. */
export interface TokenizerMetadataOptions {
  /** The model folder holding tokenizer.json. */
  readonly modelDir: string;
  /** The loaded tokenizer (special ids, chat templates, BOS behaviour). */
  readonly tokenizer: Tokenizer;
  /** The model's embedding rows; the vocabulary is padded to it with unused `[PADn]` tokens. */
  readonly vocabSize: number;
  /** Override of `tokenizer.ggml.pre` (for a pre-tokenizer the export does not recognise). */
  readonly pre?: string;
  /** A chat template replacing the tokenizer's. */
  readonly chatTemplate?: string;
  /** The export path (for messages). */
  readonly target: string;
}

/** Reads tokenizer.json and checks it is a byte-level BPE tokenizer. */
async function readByteLevelBpe(options: TokenizerMetadataOptions): Promise<TokenizerJson> {
  const file = path.join(options.modelDir, "tokenizer.json");
  const json = JSON.parse(await readFile(file, "utf8").catch(() => "{}")) as TokenizerJson;
  const fail = (problem: string): never => {
    throw new ExportError({
      target: options.target,
      problem,
      fix: "Export --format merged and convert it with llama.cpp's convert_hf_to_gguf.py, which reads tokenizer.model.",
    });
  };
  if (!json.model?.vocab) fail(`${file} is missing or has no model.vocab`);
  if (json.model?.type !== "BPE" || json.model.byte_fallback) {
    fail(
      `the GGUF export writes byte-level BPE tokenizers (GPT-2, Llama 3, Qwen); this one is ${json.model?.type ?? "unknown"}${json.model?.byte_fallback ? " with byte fallback (SentencePiece-style, llama.cpp's 'llama' tokenizer)" : ""}`,
    );
  }
  return json;
}

function preName(json: TokenizerJson, options: TokenizerMetadataOptions): string {
  if (options.pre) return options.pre;
  const pattern = splitPattern(json.pre_tokenizer);
  const name = pattern === undefined ? undefined : PRE_BY_PATTERN[pattern];
  if (name) return name;
  throw new ExportError({
    target: options.target,
    problem: `llama.cpp would split text differently: this tokenizer's pre-tokenizer (${pattern === undefined ? JSON.stringify(json.pre_tokenizer?.type ?? null) : `pattern ${pattern}`}) is none of those the export recognises (${KNOWN_PRE_TOKENIZERS.join(", ")})`,
    fix: "Pass exportGguf the option tokenizerPre naming the llama.cpp pre-tokenizer that implements it (see llama.cpp's llama-vocab.cpp), or export --format merged.",
  });
}

/**
 * The `tokenizer.*` metadata of a byte-level BPE tokenizer.
 * @param options - `modelDir`, `tokenizer`, `vocabSize`, `pre`, `chatTemplate`, `target`
 * @returns the entries in file order
 * @throws {@link ExportError} when tokenizer.json is missing, not byte-level BPE, has more tokens than the model
 *   has embedding rows, or has a pre-tokenizer the export does not recognise (without `pre`)
 * @example
 * ```ts
 * const entries = await tokenizerMetadata({ modelDir: dir, tokenizer, vocabSize: 2048, target: "/tmp/out" });
 * ```
 */
export async function tokenizerMetadata(
  options: TokenizerMetadataOptions,
): Promise<[string, GgufMetadataValue][]> {
  const json = await readByteLevelBpe(options);
  const pre = preName(json, options);
  const tokens: string[] = [];
  const types: number[] = [];
  for (const [text, id] of Object.entries(json.model?.vocab ?? {})) {
    tokens[id] = text;
    types[id] = TOKEN_TYPE.normal;
  }
  for (const t of json.added_tokens ?? []) {
    tokens[t.id] = t.content;
    types[t.id] = t.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
  }
  if (tokens.length > options.vocabSize) {
    throw new ExportError({
      target: options.target,
      problem: `the tokenizer has ${tokens.length} tokens but the model only ${options.vocabSize} embedding rows`,
      fix: "Export with the tokenizer the model was trained with.",
    });
  }
  for (let id = 0; id < options.vocabSize; id++) {
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`;
      types[id] = TOKEN_TYPE.unused;
    }
  }
  const merges = (json.model?.merges ?? []).map((m) => (typeof m === "string" ? m : m.join(" ")));
  return [
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: pre }],
    ["tokenizer.ggml.tokens", { type: "array", of: "string", value: tokens }],
    ["tokenizer.ggml.token_type", { type: "array", of: "i32", value: types }],
    ["tokenizer.ggml.merges", { type: "array", of: "string", value: merges }],
    ...specialTokenEntries(options.tokenizer),
    ...templateEntries(options.tokenizer, options.chatTemplate),
  ];
}

function specialTokenEntries(tok: Tokenizer): [string, GgufMetadataValue][] {
  const entries: [string, GgufMetadataValue][] = [];
  const id = (key: string, value: number | undefined) => {
    if (value !== undefined) entries.push([`tokenizer.ggml.${key}_token_id`, { type: "u32", value }]);
  };
  id("bos", tok.bosTokenId);
  id("eos", tok.eosTokenId);
  id("unknown", tok.unkTokenId);
  const pad = tok.specialTokens.pad_token;
  id("padding", pad === undefined ? undefined : tok.tokenToId(pad));
  // What the tokenizer does with special tokens on, as llama.cpp will when asked to add them.
  const probe = tok.encode("a", { addSpecialTokens: true });
  const plain = tok.encode("a", { addSpecialTokens: false });
  const addsBos = tok.bosTokenId !== undefined && probe.length > plain.length && probe[0] === tok.bosTokenId;
  const addsEos =
    tok.eosTokenId !== undefined && probe.length > plain.length && probe.at(-1) === tok.eosTokenId;
  entries.push(["tokenizer.ggml.add_bos_token", { type: "bool", value: addsBos }]);
  entries.push(["tokenizer.ggml.add_eos_token", { type: "bool", value: addsEos }]);
  return entries;
}

function templateEntries(tok: Tokenizer, override: string | undefined): [string, GgufMetadataValue][] {
  const templates: Record<string, string> = { ...tok.chatTemplates };
  if (override) templates.default = override;
  return Object.entries(templates).map(([name, value]): [string, GgufMetadataValue] => [
    name === "default" ? "tokenizer.chat_template" : `tokenizer.chat_template.${name}`,
    { type: "string", value },
  ]);
}
