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
 * Formats and tokenizes examples: segments (see {@link toSegments}) → ids, with prompt masking, then
 * truncation to `maxLength`. A chat example that is too long keeps its last answer and loses prompt tokens
 * from the left; when the last answer alone exceeds the budget it keeps `min(prompt, maxLength / 2)` prompt
 * tokens and cuts the answer's end. A raw text that is too long is split into consecutive `maxLength` chunks.
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
  const ids: number[] = [];
  const target: number[] = [];
  const lastAnswer = segments.reduce((last, s, k) => (s.answer && "text" in s ? k : last), -1);
  let answerStart = 0;
  segments.forEach((seg, k) => {
    if (k === lastAnswer) answerStart = ids.length;
    const piece = "ids" in seg ? seg.ids : tokenizer.encode(seg.text, { addSpecialTokens: false });
    // The EOS that closes an answer belongs to that answer for onlyLastAnswer.
    const owner = "ids" in seg && seg.answer && k > 0 && segments[k - 1].answer ? k - 1 : k;
    let train = options.maskPrompt ? seg.train : true;
    if (options.onlyLastAnswer && seg.answer && lastAnswer >= 0) train = owner === lastAnswer;
    for (const id of piece) {
      ids.push(id);
      target.push(train ? 1 : 0);
    }
  });
  return { ids, target, answerStart };
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
