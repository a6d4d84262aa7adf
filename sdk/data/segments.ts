import { DatasetError } from "./dataset-error";
import type { ChatMessage, Example } from "./examples";
import type { FormatOptions } from "./format-options";
import { hasChatTemplate, type TextTokenizer } from "./text-tokenizer";

/**
 * A piece of a formatted example: text to tokenize (or fixed ids such as BOS/EOS), and whether its tokens are
 * targets. `answer` marks assistant answers (for `onlyLastAnswer`).
 */
export type Segment = ({ text: string } | { ids: number[] }) & { train: boolean; answer: boolean };

/**
 * Splits an example into segments in the chosen format.
 *
 * - markers: `[BOS] <|system|>S <|prompt|>P1<|answer|>` `A1 EOS` `<|prompt|>P2<|answer|>` `A2 EOS` …
 * - chat template: the template rendered for growing prefixes of the conversation; the text added by each
 *   assistant message (after the generation prompt) is its answer segment, all else is prompt.
 * - raw text: `[BOS] text [EOS]`, all targets.
 * @param example - the example
 * @param tokenizer - the tokenizer (its template and special ids)
 * @param options - validated formatting options
 * @returns the segments, in order
 * @throws {@link DatasetError} when `template: "chat"` is asked of a tokenizer without one, or the template does
 *   not render conversations as growing prefixes
 * @example
 * ```ts
 * const segs = toSegments({ kind: "text", text: "Call me Ishmael.", row: 1 }, tokenizer, parseFormatOptions());
 * ```
 */
export function toSegments(example: Example, tokenizer: TextTokenizer, options: FormatOptions): Segment[] {
  const bos: Segment[] =
    options.addBos && tokenizer.bosTokenId !== undefined
      ? [{ ids: [tokenizer.bosTokenId], train: false, answer: false }]
      : [];
  if (options.addEos && tokenizer.eosTokenId === undefined) {
    throw new DatasetError(
      "expected a tokenizer with an EOS token for addEos: true, found none; pass addEos: false",
      {
        row: example.row,
      },
    );
  }
  const eos: Segment[] = options.addEos
    ? [{ ids: [tokenizer.eosTokenId as number], train: true, answer: true }]
    : [];
  if (example.kind === "text") {
    return [
      ...bos,
      { text: example.text, train: true, answer: false },
      ...eos.map((s) => ({ ...s, answer: false })),
    ];
  }
  const useChat = options.template === "chat" || (options.template === "auto" && hasChatTemplate(tokenizer));
  if (useChat) return chatSegments(example.messages, tokenizer, example.row);
  const m = options.markers;
  const out: Segment[] = [...bos];
  let pending = "";
  for (const msg of example.messages) {
    if (msg.role === "system") pending += m.system + msg.content;
    else if (msg.role === "user") pending += m.prompt + msg.content + m.answer;
    else {
      if (pending) out.push({ text: pending, train: false, answer: false });
      pending = "";
      out.push({ text: msg.content, train: true, answer: true }, ...eos);
    }
  }
  return out;
}

function chatSegments(messages: ChatMessage[], tokenizer: TextTokenizer, row: number): Segment[] {
  const render = tokenizer.applyChatTemplate;
  if (!render) {
    throw new DatasetError(
      'expected a tokenizer with a chat template for template: "chat", found none; use template: "markers"',
      { row },
    );
  }
  const out: Segment[] = [];
  let done = "";
  messages.forEach((msg, k) => {
    if (msg.role !== "assistant") return;
    const prompt = render.call(tokenizer, messages.slice(0, k), { addGenerationPrompt: true });
    const full = render.call(tokenizer, messages.slice(0, k + 1), { addGenerationPrompt: false });
    if (!prompt.startsWith(done) || !full.startsWith(prompt)) {
      throw new DatasetError(
        'expected the chat template to render each conversation as a prefix of the longer one, found it rewrites earlier turns; use template: "markers" or train on single turns',
        { row },
      );
    }
    if (prompt.length > done.length)
      out.push({ text: prompt.slice(done.length), train: false, answer: false });
    out.push({ text: full.slice(prompt.length), train: true, answer: true });
    done = full;
  });
  return out;
}
