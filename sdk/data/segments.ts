import { DatasetError } from "./dataset-error";
import type { ChatMessage, Example } from "./examples";
import type { FormatOptions } from "./format-options";
import { hasChatTemplate, type TextTokenizer } from "./text-tokenizer";

/** Which part of a conversation a segment belongs to (the unit of `maxLengthPrompt` / `maxLengthAnswer`). */
export type SegmentPart = "bos" | "system" | "prompt" | "answer" | "text";

/**
 * A piece of a formatted example: text to tokenize (or fixed ids such as BOS/EOS), whether its tokens are
 * targets, its part, and its unit: consecutive segments with the same `unit` form one system prompt, one
 * turn's prompt or one answer (with its EOS), which the per-part length limits cut as a whole.
 */
export type Segment = ({ text: string } | { ids: number[] }) & {
  train: boolean;
  part: SegmentPart;
  unit: number;
};

/** The EOS token as a one-id list; throws when the option asks for it and the tokenizer has none. */
function eosIds(tokenizer: TextTokenizer, option: string, row: number): number[] {
  if (tokenizer.eosTokenId === undefined) {
    throw new DatasetError(
      `expected a tokenizer with an EOS token for ${option}: true, found none; pass ${option}: false`,
      { row },
    );
  }
  return [tokenizer.eosTokenId];
}

/**
 * Splits an example into segments in the chosen format.
 *
 * - markers (H2O LLM Studio's layout): `[BOS]` `<|system|>S [EOS]` `<|prompt|>P1 [EOS] <|answer|>` `A1 [EOS]`
 *   `<|prompt|>P2 [EOS] <|answer|>` `A2 [EOS]` …, where the EOS after the system prompt, after each prompt and
 *   after each answer follow `addEosToSystem`, `addEosToPrompt` and `addEos`;
 * - chat template: the template rendered for growing prefixes of the conversation; the text added by each
 *   assistant message (after the generation prompt) is its answer segment, all else is prompt (the template
 *   places its own special tokens: `addEosToSystem`/`addEosToPrompt`/`addEos` do not apply);
 * - raw text: `[BOS] text [EOS]`, all targets.
 * @param example - the example
 * @param tokenizer - the tokenizer (its template and special ids)
 * @param options - validated formatting options
 * @returns the segments, in order
 * @throws {@link DatasetError} when `template: "chat"` is asked of a tokenizer without one, the template does
 *   not render conversations as growing prefixes, or an EOS is asked of a tokenizer without one
 * @example
 * ```ts
 * const segs = toSegments({ kind: "text", text: "Call me Ishmael.", row: 1 }, tokenizer, parseFormatOptions());
 * ```
 */
export function toSegments(example: Example, tokenizer: TextTokenizer, options: FormatOptions): Segment[] {
  const bos: Segment[] =
    options.addBos && tokenizer.bosTokenId !== undefined
      ? [{ ids: [tokenizer.bosTokenId], train: false, part: "bos", unit: 0 }]
      : [];
  if (example.kind === "text") {
    const eos = options.addEos ? eosIds(tokenizer, "addEos", example.row) : [];
    return [
      ...bos,
      { text: example.text, train: true, part: "text", unit: 1 },
      ...(eos.length ? [{ ids: eos, train: true, part: "text" as const, unit: 1 }] : []),
    ];
  }
  const useChat = options.template === "chat" || (options.template === "auto" && hasChatTemplate(tokenizer));
  if (useChat) return chatSegments(example.messages, tokenizer, example.row);
  return markerSegments(example.messages, tokenizer, options, example.row, bos);
}

function markerSegments(
  messages: ChatMessage[],
  tokenizer: TextTokenizer,
  options: FormatOptions,
  row: number,
  bos: Segment[],
): Segment[] {
  const m = options.markers;
  const out: Segment[] = [...bos];
  let unit = 0;
  const eos = (flag: boolean, option: string, part: SegmentPart, train: boolean): Segment[] =>
    flag ? [{ ids: eosIds(tokenizer, option, row), train, part, unit }] : [];
  for (const msg of messages) {
    unit++;
    if (msg.role === "system") {
      out.push(
        { text: m.system + msg.content, train: false, part: "system", unit },
        ...eos(options.addEosToSystem, "addEosToSystem", "system", false),
      );
    } else if (msg.role === "user") {
      out.push(
        { text: m.prompt + msg.content, train: false, part: "prompt", unit },
        ...eos(options.addEosToPrompt, "addEosToPrompt", "prompt", false),
        { text: m.answer, train: false, part: "prompt", unit },
      );
    } else {
      out.push(
        { text: msg.content, train: true, part: "answer", unit },
        ...eos(options.addEos, "addEos", "answer", true),
      );
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
      out.push({ text: prompt.slice(done.length), train: false, part: "prompt", unit: 2 * k });
    out.push({ text: full.slice(prompt.length), train: true, part: "answer", unit: 2 * k + 1 });
    done = full;
  });
  return out;
}
