/**
 * The contract between the OpenAI-compatible server and a language model. The server needs only this much:
 * an id, a context length, a token counter, a chat template and a streaming generator. `Backbone` (sdk/models)
 * is adapted to it; tests use a scripted test double.
 */

/** One chat message, as the OpenAI API sends it (text content only). */
export interface ChatMessage {
  /** Who wrote it. */
  role: "system" | "developer" | "user" | "assistant" | "tool";
  /** The message text. */
  content: string;
}

/** Options the server passes to {@link ServableModel.generate} for one completion. */
export interface GenerateOptions {
  /** Most tokens to generate; the model must not yield more than this many chunks. */
  maxTokens: number;
  /** Sampling temperature; 0 means greedy (deterministic). */
  temperature: number;
  /** Nucleus sampling mass in (0, 1]. */
  topP: number;
  /**
   * Stop sequences. A hint: the server also cuts the text at the first stop sequence (and does not send it),
   * then ends the iteration, so a model may ignore this list.
   */
  stop: readonly string[];
  /** Sampling seed; the same prompt, options and seed must give the same text. Absent: unseeded. */
  seed?: number;
  /** Requested output format, a hint (e.g. constrain or prompt for JSON). `text` when not asked. */
  responseFormat: "text" | "json_object";
  /** Fired when the client went away or the server is shutting down: stop generating soon. */
  signal: AbortSignal;
}

/**
 * One generated token. `text` is the text it adds (may be empty when a token ends inside a multi-byte
 * character; the model then carries the bytes into the next chunk).
 */
export interface GenerationChunk {
  text: string;
  /**
   * Set on the last chunk when the model knows why it ended: `stop` for its end-of-sequence token (even when
   * that token is also the `maxTokens`-th), `length` for the budget. Without it the server infers the reason.
   */
  finishReason?: "stop" | "length";
}

/**
 * A language model the server can serve.
 *
 * `generate` yields exactly one chunk per generated token and ends when the model emits its end-of-sequence
 * token, matches a stop sequence, reaches `maxTokens`, or sees `signal` aborted. The server takes the finish
 * reason from the last chunk's `finishReason`, else derives it (`length` when `maxTokens` chunks came, else
 * `stop`), and the usage (prompt tokens =
 * `countTokens(prompt)`, completion tokens = chunks consumed) from that, so no other bookkeeping is needed.
 * The server may stop iterating early (`return()` on the iterator): release resources in a `finally`.
 *
 * @example
 * ```ts
 * const model: ServableModel = {
 *   id: "echo", contextLength: 512,
 *   countTokens: (t) => t.split(/\s+/).filter(Boolean).length,
 *   applyChatTemplate: (msgs) => msgs.map((m) => `${m.role}: ${m.content}\n`).join("") + "assistant:",
 *   async *generate(prompt, opts) { for (const w of prompt.split(" ").slice(0, opts.maxTokens)) yield { text: ` ${w}` }; },
 * };
 * ```
 */
export interface ServableModel {
  /** The model name clients pass as `model`. */
  readonly id: string;
  /** Most tokens (prompt + completion) one sequence may hold. */
  readonly contextLength: number;
  /**
   * How many generations may run at the same time (a batching model says > 1). Default 1: the server queues
   * requests and runs one generation at a time.
   */
  readonly maxConcurrentGenerations?: number;
  /**
   * Number of tokens `text` encodes to, special tokens of a templated prompt included.
   * @param text - any text, e.g. the output of {@link ServableModel.applyChatTemplate}
   * @returns the token count
   */
  countTokens(text: string): number;
  /**
   * Renders a conversation with the model's chat template.
   * @param messages - the conversation
   * @param options - `addGenerationPrompt: true` appends the assistant turn's opening
   * @returns the prompt text
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt: true }): string;
  /**
   * Streams a continuation of `prompt`, one chunk per token.
   * @param prompt - the full prompt text
   * @param options - sampling, limits and cancellation
   * @returns an async iterable of chunks
   */
  generate(prompt: string, options: GenerateOptions): AsyncIterable<GenerationChunk>;
}
