import type { GenerateOptions, ServableModel } from "./servable-model";

/** Why a completion ended, in OpenAI's words. */
export type FinishReason = "stop" | "length";

/** How one completion ended. */
export interface CompletionOutcome {
  finishReason: FinishReason;
  /** Tokens generated (chunks consumed from the model). */
  completionTokens: number;
}

/**
 * Length of the longest suffix of `text` that is a proper prefix of some stop sequence: text that must be
 * held back because the next token may complete a stop sequence.
 */
function heldBackLength(text: string, stop: readonly string[]): number {
  let best = 0;
  for (const s of stop) {
    for (let k = Math.min(s.length - 1, text.length); k > best; k--) {
      if (text.endsWith(s.slice(0, k))) {
        best = k;
        break;
      }
    }
  }
  return best;
}

/** Index of the earliest stop sequence in `text`, or -1. */
function firstStop(text: string, stop: readonly string[]): number {
  let at = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/**
 * Streams one completion from `model` as text deltas, cutting at the first stop sequence (never sent) and
 * at `maxTokens`, whatever the model does with those hints. Stops early, without error, when the signal fires.
 *
 * @param model - the model
 * @param prompt - the full prompt
 * @param options - sampling options, limits and signal, as passed to the model
 * @returns an async generator of text deltas whose return value is the outcome
 * @throws whatever the model throws
 * @example
 * ```ts
 * const it = streamCompletion(model, "Hello", { maxTokens: 8, temperature: 0, topP: 1, stop: ["\n"],
 *   responseFormat: "text", signal: new AbortController().signal });
 * for (let r = await it.next(); !r.done; r = await it.next()) process.stdout.write(r.value);
 * ```
 */
export async function* streamCompletion(
  model: ServableModel,
  prompt: string,
  options: GenerateOptions,
): AsyncGenerator<string, CompletionOutcome, void> {
  let pending = "";
  let tokens = 0;
  let reported: FinishReason | undefined;
  for await (const chunk of model.generate(prompt, options)) {
    tokens++;
    pending += chunk.text;
    reported = chunk.finishReason;
    const at = firstStop(pending, options.stop);
    if (at >= 0) {
      if (at > 0) yield pending.slice(0, at);
      return { finishReason: "stop", completionTokens: tokens };
    }
    const keep = heldBackLength(pending, options.stop);
    if (pending.length > keep) {
      yield pending.slice(0, pending.length - keep);
      pending = pending.slice(pending.length - keep);
    }
    if (reported || tokens >= options.maxTokens || options.signal.aborted) break;
  }
  if (pending) yield pending;
  const finishReason = reported ?? (tokens >= options.maxTokens ? "length" : "stop");
  return { finishReason, completionTokens: tokens };
}

/**
 * Runs {@link streamCompletion} to the end and gathers the text.
 * @param model - the model
 * @param prompt - the full prompt
 * @param options - as for {@link streamCompletion}
 * @returns the text and the outcome
 * @throws whatever the model throws
 * @example
 * ```ts
 * const { text, finishReason } = await collectCompletion(model, "Hi", opts);
 * ```
 */
export async function collectCompletion(
  model: ServableModel,
  prompt: string,
  options: GenerateOptions,
): Promise<CompletionOutcome & { text: string }> {
  const it = streamCompletion(model, prompt, options);
  let text = "";
  for (let r = await it.next(); ; r = await it.next()) {
    if (r.done) return { ...r.value, text };
    text += r.value;
  }
}
