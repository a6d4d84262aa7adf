/**
 * Incremental detokenization for streaming: decode a short window of recent ids with and without the new
 * one and release the difference, holding text back while it ends in an incomplete UTF-8 character (U+FFFD).
 * Byte-level BPE needs this: one character may span several tokens, and decoding ids one at a time breaks
 * characters and spaces. The same method as Hugging Face's text-generation-inference.
 */

const REPLACEMENT = "\uFFFD";

/**
 * Turns generated ids into text deltas whose concatenation equals the decode of all ids.
 * @example
 * ```ts
 * const text = new IncrementalDecoder((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }), promptIds);
 * const delta = text.push(nextId);
 * ```
 */
export class IncrementalDecoder {
  private readonly ids: number[];
  private prefixOffset = 0;
  private readOffset: number;

  /**
   * @param decode - the tokenizer's decode of a list of ids
   * @param context - ids before the generated ones (the prompt); its last few give the first token's spacing
   */
  constructor(
    private readonly decode: (ids: readonly number[]) => string,
    context: readonly number[] = [],
  ) {
    this.ids = context.slice(-5);
    this.readOffset = this.ids.length;
  }

  /**
   * Adds a generated id.
   * @param id - the token id
   * @returns the text it completes (empty while a character is incomplete)
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
