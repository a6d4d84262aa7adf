/**
 * A chat transcript that streams a reply in place: earlier messages, then the reply growing as chunks arrive
 * from an async iterable (e.g. a generator of tokens). HTML in a notebook; plain text in a terminal, where new
 * text is appended at a throttled rate.
 */
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { escapeHtml } from "./html";
import { type Rendering, resolveSurface, surfaceOptionsSchema } from "./surface";
import { Throttle } from "./throttle";

/** One message of a transcript. */
export interface ChatMessage {
  role: string;
  content: string;
}

const messageSchema = z.object({ role: z.string(), content: z.string() });
const optionsSchema = surfaceOptionsSchema.extend({
  /** The reply, as text chunks. */
  stream: z.custom<AsyncIterable<string>>(
    (v) => typeof (v as AsyncIterable<string>)?.[Symbol.asyncIterator] === "function",
    {
      message: "expected an async iterable of text chunks",
    },
  ),
  /** Messages shown before the reply. */
  history: z.array(messageSchema).default([]),
  /** Role of the streamed reply. */
  role: z.string().default("assistant"),
  /** Stops reading the stream (the text so far is kept). */
  signal: z
    .custom<AbortSignal>((v) => v === undefined || v instanceof AbortSignal, {
      message: "expected an AbortSignal",
    })
    .optional(),
  /** Minimum milliseconds between redraws (default 100). */
  intervalMs: z.number().int().nonnegative().default(100),
});

/** Options of {@link streamChat}. */
export type StreamChatOptions = z.input<typeof optionsSchema>;

const ROLE_COLOR: Record<string, string> = { system: "#f3f3f3", user: "#e8f0fe", assistant: "#f1f8e9" };

/**
 * Renders a transcript as HTML bubbles and as `role: text` paragraphs.
 * @param messages - the transcript
 * @param streaming - whether the last message is still growing (shows a cursor)
 * @returns both renderings
 * @throws never
 * @example
 * ```ts
 * renderChat([{ role: "user", content: "hi" }], false).text; // "user: hi"
 * ```
 */
export function renderChat(messages: readonly ChatMessage[], streaming: boolean): Rendering {
  const bubbles = messages.map((m, i) => {
    const cursor = streaming && i === messages.length - 1 ? "▌" : "";
    const bg = ROLE_COLOR[m.role] ?? "#fafafa";
    return (
      `<div class="tunebook-chat-message" data-role="${escapeHtml(m.role)}" style="background:${bg};border-radius:6px;padding:6px 10px;margin:4px 0">` +
      `<div style="font-size:11px;color:#666;font-weight:bold">${escapeHtml(m.role)}</div>` +
      `<div class="tunebook-chat-content" style="white-space:pre-wrap">${escapeHtml(m.content)}${cursor}</div></div>`
    );
  });
  return {
    html: `<div class="tunebook-chat" style="max-width:760px;font-family:sans-serif">${bubbles.join("")}</div>`,
    text: messages.map((m) => `${m.role}: ${m.content}`).join("\n\n"),
  };
}

/**
 * Shows a chat transcript and streams the reply into it in place; resolves with the full reply.
 *
 * @param options - `stream` (async iterable of chunks), `history`, `role`, `signal`, `intervalMs`, surface
 * @returns the reply text (what arrived before the stream ended or `signal` fired)
 * @throws ConfigError for invalid options; rethrows the stream's own error after drawing what arrived
 * @example
 * ```ts
 * async function* reply() { yield "Hello"; yield ", world"; }
 * const text = await streamChat({ history: [{ role: "user", content: "hi" }], stream: reply() });
 * ```
 */
export async function streamChat(options: StreamChatOptions): Promise<string> {
  const o = parseOptions(optionsSchema, options, "streamChat");
  const surface = resolveSurface({ mode: o.mode, output: o.output });
  const history: ChatMessage[] = o.history;
  let reply = "";
  let streaming = true;
  let draw: () => void;
  if (surface.kind === "notebook") {
    const entry = surface.entry();
    draw = () => entry.render(renderChat([...history, { role: o.role, content: reply }], streaming));
  } else {
    const out = o.output ?? process.stdout;
    if (history.length) out.write(`${renderChat(history, false).text}\n\n`);
    out.write(`${o.role}: `);
    let written = 0;
    draw = () => {
      out.write(reply.slice(written) + (streaming ? "" : "\n"));
      written = reply.length;
    };
  }
  const throttle = new Throttle({ intervalMs: o.intervalMs, render: () => draw() });
  throttle.request();
  try {
    for await (const chunk of o.stream) {
      if (o.signal?.aborted) break;
      reply += chunk;
      throttle.request();
    }
  } finally {
    streaming = false;
    throttle.flush(true);
    throttle.cancel();
  }
  return reply;
}
