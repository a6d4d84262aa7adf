/**
 * Turns a stream of token ids into text deltas for streaming, the way Hugging Face's text-generation-inference
 * does: decode a small window of recent ids twice (with and without the new ones) and emit the difference,
 * holding text back while it ends in an incomplete character (U+FFFD from a partial UTF-8 sequence). Needed
 * by byte-level BPE tokenizers, where one character may span several tokens and decoding ids one at a time
 * gives wrong spaces and broken characters.
 */

const REPLACEMENT = "\uFFFD";

/**
 * Incremental detokenizer: `push(id)` returns the new text (possibly empty), `flush()` what is held back.
 * Concatenating every delta gives `decode(allIds)`.
 *
 * @example
 * ```ts
 * const stream = new TextDeltaDecoder({ decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }) });
 * for (const id of generatedIds) yield { text: stream.push(id) };
 * const tail = stream.flush();
 * ```
 */
export class TextDeltaDecoder {
  private readonly decode: (ids: readonly number[]) => string;
  private readonly ids: number[] = [];
  /** Start of the window decoded for context (ids before it are already emitted). */
  private prefixOffset = 0;
  /** End of what has been emitted. */
  private readOffset = 0;

  /**
   * @param options - `decode`: the tokenizer's decode of a list of ids; `context`: ids already in the
   * sequence before generation (e.g. the prompt's last few), so the first token's leading space is right
   */
  constructor(options: { decode: (ids: readonly number[]) => string; context?: readonly number[] }) {
    this.decode = options.decode;
    const context = options.context ?? [];
    this.ids.push(...context.slice(-5));
    this.prefixOffset = 0;
    this.readOffset = this.ids.length;
  }

  /**
   * Adds one generated token.
   * @param id - the token id
   * @returns the text it completes; empty while a character is incomplete
   */
  push(id: number): string {
    this.ids.push(id);
    const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.decode(this.ids.slice(this.prefixOffset));
    if (after.length > before.length && !after.endsWith(REPLACEMENT)) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return after.slice(before.length);
    }
    return "";
  }

  /**
   * Ends the stream.
   * @returns text still held back (an incomplete character decodes as U+FFFD, as a full decode would)
   */
  flush(): string {
    const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const after = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return after.length > before.length ? after.slice(before.length) : "";
  }
}
