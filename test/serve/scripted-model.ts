/**
 * TEST DOUBLE: a deterministic stand-in for a real language model, implementing `ServableModel` so the
 * server and the data generator can be tested end to end before the real model is wired in.
 *
 * Tokens are whitespace-led words (`/\s*\S+|\s+/g`). A reply is either scripted (a function of the prompt)
 * or drawn word by word from a small vocabulary with a seeded PRNG (mulberry32), so a seed, or temperature
 * 0, gives the same text every time. It honours maxTokens, stop and the abort signal exactly, and can be
 * told to fail (throw, hang, emit malformed JSON) per call, to exercise error paths.
 */
import type { ChatMessage, GenerateOptions, GenerationChunk, ServableModel } from "../../sdk/serve";
import { seededRandom } from "../../sdk/util/seeded-random";

/** What the double does on one call instead of answering normally. */
export type Fault =
  | { type: "throw"; message?: string }
  | { type: "delay"; ms: number }
  | { type: "reply"; text: string };

/** One recorded call to `generate`. */
export interface RecordedCall {
  prompt: string;
  options: Omit<GenerateOptions, "signal">;
  tokensEmitted: number;
  aborted: boolean;
  finished: boolean;
}

/** Options of the test double. */
export interface ScriptedModelOptions {
  id?: string;
  contextLength?: number;
  /** Fixed reply for a prompt (streamed token by token); default: seeded random words. */
  script?: (prompt: string, call: number, options: GenerateOptions) => string;
  /** A fault for call number `call` (0-based), or undefined to answer normally. */
  faults?: (call: number, prompt: string) => Fault | undefined;
  /** Milliseconds to wait before each token (0: yield to the event loop only). */
  tokenDelayMs?: number;
  /** Number of words a random reply has before its end-of-sequence, from the PRNG: [min, max]. */
  replyWords?: [number, number];
  /** Ignore `stop` (as a model may), so that the server's own stop handling is what cuts the text. */
  ignoreStop?: boolean;
}

const VOCAB = [
  "alpha",
  "beta",
  "gamma",
  "delta",
  "river",
  "stone",
  "cloud",
  "tune",
  "book",
  "light",
  "moss",
  "echo",
];

/** FNV-1a hash of a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Splits text into the double's tokens. */
export function scriptedTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** TEST DOUBLE of a servable language model; see the file comment. */
export class ScriptedModel implements ServableModel {
  readonly id: string;
  readonly contextLength: number;
  /** Every call to `generate`, in order. */
  readonly calls: RecordedCall[] = [];
  /** Most generations ever running at the same time. */
  maxActive = 0;
  private active = 0;
  private readonly opts: ScriptedModelOptions;

  constructor(options: ScriptedModelOptions = {}) {
    this.opts = options;
    this.id = options.id ?? "scripted-test-double";
    this.contextLength = options.contextLength ?? 256;
  }

  countTokens(text: string): number {
    return scriptedTokens(text).length;
  }

  applyChatTemplate(messages: readonly ChatMessage[], _options: { addGenerationPrompt: true }): string {
    return messages.map((m) => `<${m.role}> ${m.content}\n`).join("") + "<assistant>";
  }

  /** The reply text the double would stream for this call, before limits. */
  replyFor(prompt: string, call: number, options: GenerateOptions): string {
    if (this.opts.script) return this.opts.script(prompt, call, options);
    const seed =
      options.temperature === 0 ? hash(prompt) : (options.seed ?? Math.floor(Math.random() * 2 ** 32));
    const rand = seededRandom(seed ^ hash(prompt));
    const [lo, hi] = this.opts.replyWords ?? [4, 24];
    const words = lo + Math.floor(rand() * (hi - lo + 1));
    return Array.from({ length: words }, () => ` ${VOCAB[Math.floor(rand() * VOCAB.length)]}`).join("");
  }

  async *generate(prompt: string, options: GenerateOptions): AsyncGenerator<GenerationChunk> {
    const call = this.calls.length;
    const { signal, ...rest } = options;
    const record: RecordedCall = { prompt, options: rest, tokensEmitted: 0, aborted: false, finished: false };
    this.calls.push(record);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const fault = this.opts.faults?.(call, prompt);
      if (fault?.type === "throw") throw new Error(fault.message ?? "scripted failure");
      if (fault?.type === "delay") await sleep(fault.ms, signal);
      const text = fault?.type === "reply" ? fault.text : this.replyFor(prompt, call, options);
      let emitted = "";
      for (const token of scriptedTokens(text)) {
        if (signal.aborted) {
          record.aborted = true;
          return;
        }
        if (record.tokensEmitted >= options.maxTokens) break;
        if (!this.opts.ignoreStop && options.stop.some((s) => (emitted + token).includes(s))) break;
        const delayMs = this.opts.tokenDelayMs ?? 0;
        if (delayMs > 0) await sleep(delayMs, signal);
        else await new Promise((resolve) => setImmediate(resolve));
        record.tokensEmitted++;
        emitted += token;
        yield { text: token };
      }
      record.finished = true;
    } finally {
      if (signal.aborted) record.aborted = true;
      this.active--;
    }
  }
}
