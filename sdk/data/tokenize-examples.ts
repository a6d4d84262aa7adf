import type { WarningHandler } from "./dataset-warning";
import type { Example } from "./examples";
import type { FormatOptions } from "./format-options";
import { type Segment, toSegments } from "./segments";
import type { TextTokenizer } from "./text-tokenizer";

/**
 * One tokenized example. `ids[i]` is token i; `target[i]` is 1 when token i is trained on (its label is
 * itself, before the shift the batcher applies), 0 when masked (-100).
 */
export interface TokenizedExample {
  ids: Int32Array;
  target: Uint8Array;
  /** 1-based source row. */
  row: number;
}

/**
 * Formats and tokenizes examples: segments (see {@link toSegments}) → ids, with prompt masking; each turn's
 * prompt is cut to its last `maxLengthPrompt` tokens, the system prompt to its first `maxLengthPrompt` and each
 * answer to its first `maxLengthAnswer` (when set); then the whole is truncated to `maxLength`. A chat example
 * that is too long keeps its last answer and loses prompt tokens from the left; when the last answer alone
 * exceeds the budget it keeps `min(prompt, maxLength / 2)` prompt tokens and cuts the answer's end. A raw text
 * that is too long is split into consecutive `maxLength` chunks.
 * @param examples - mapped examples
 * @param tokenizer - the tokenizer
 * @param options - validated formatting options
 * @param onWarning - receives one `truncated` warning with the count
 * @returns the tokenized examples (more than `examples` when raw texts were chunked)
 * @example
 * ```ts
 * const tokenized = tokenizeExamples(examples, tokenizer, parseFormatOptions({ maxLength: 256 }));
 * ```
 */
export function tokenizeExamples(
  examples: readonly Example[],
  tokenizer: TextTokenizer,
  options: FormatOptions,
  onWarning?: WarningHandler,
): TokenizedExample[] {
  const out: TokenizedExample[] = [];
  const truncatedRows: number[] = [];
  for (const ex of examples) {
    const { ids, target, answerStart } = encodeSegments(
      toSegments(ex, tokenizer, options),
      tokenizer,
      options,
    );
    if (ids.length <= options.maxLength) {
      out.push({ ids: Int32Array.from(ids), target: Uint8Array.from(target), row: ex.row });
      continue;
    }
    truncatedRows.push(ex.row);
    if (ex.kind === "text") {
      for (let s = 0; s < ids.length; s += options.maxLength) {
        const e = Math.min(ids.length, s + options.maxLength);
        if (e - s >= 2)
          out.push({
            ids: Int32Array.from(ids.slice(s, e)),
            target: Uint8Array.from(target.slice(s, e)),
            row: ex.row,
          });
      }
    } else out.push({ ...truncateChat(ids, target, answerStart, options.maxLength), row: ex.row });
  }
  if (truncatedRows.length > 0) {
    onWarning?.({
      code: "truncated",
      count: truncatedRows.length,
      rows: truncatedRows.slice(0, 10),
      message: `${truncatedRows.length} of ${examples.length} examples were longer than maxLength ${options.maxLength} tokens and were truncated (chat: prompt cut from the left; raw text: split into chunks)`,
    });
  }
  return out;
}

function encodeSegments(segments: Segment[], tokenizer: TextTokenizer, options: FormatOptions) {
  const lastAnswer = segments.reduce((last, s) => (s.part === "answer" ? s.unit : last), -1);
  const units: { part: Segment["part"]; unit: number; ids: number[]; target: number[] }[] = [];
  for (const seg of segments) {
    let u = units[units.length - 1];
    if (!u || u.unit !== seg.unit || u.part !== seg.part) {
      u = { part: seg.part, unit: seg.unit, ids: [], target: [] };
      units.push(u);
    }
    const piece = "ids" in seg ? seg.ids : tokenizer.encode(seg.text, { addSpecialTokens: false });
    let train = options.maskPrompt ? seg.train : true;
    if (options.onlyLastAnswer && seg.part === "answer") train = seg.unit === lastAnswer;
    for (const id of piece) {
      u.ids.push(id);
      u.target.push(train ? 1 : 0);
    }
  }
  const ids: number[] = [];
  const target: number[] = [];
  let answerStart = 0;
  for (const u of units) {
    const [from, to] = partWindow(u.part, u.ids.length, options);
    if (u.part === "answer" && u.unit === lastAnswer) answerStart = ids.length;
    // A loop, not `push(...slice)`: spreading a long sample's ids overflows the call stack (~120k arguments).
    for (let i = from; i < to; i++) {
      ids.push(u.ids[i]);
      target.push(u.target[i]);
    }
  }
  return { ids, target, answerStart };
}

/**
 * The kept token range of one unit under the per-part limits, as H2O LLM Studio cuts them: a prompt keeps its
 * last `maxLengthPrompt` tokens, a system prompt its first `maxLengthPrompt`, an answer its first
 * `maxLengthAnswer`.
 */
function partWindow(part: Segment["part"], n: number, options: FormatOptions): [number, number] {
  const { maxLengthPrompt: p, maxLengthAnswer: a } = options;
  if (part === "prompt" && p !== null && n > p) return [n - p, n];
  if (part === "system" && p !== null) return [0, Math.min(n, p)];
  if (part === "answer" && a !== null) return [0, Math.min(n, a)];
  return [0, n];
}

function truncateChat(ids: number[], target: number[], start: number, maxLength: number) {
  const promptLen = start;
  const answerLen = ids.length - start;
  let keepPrompt = Math.max(0, maxLength - answerLen);
  if (answerLen > maxLength - 1) keepPrompt = Math.min(promptLen, Math.floor(maxLength / 2));
  const keepAnswer = maxLength - keepPrompt;
  const from = promptLen - keepPrompt;
  const to = start + keepAnswer;
  return { ids: Int32Array.from(ids.slice(from, to)), target: Uint8Array.from(target.slice(from, to)) };
}
