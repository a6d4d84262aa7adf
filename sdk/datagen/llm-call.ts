import OpenAI from "openai";
import type { z } from "zod";
import { DatagenOutputError } from "./datagen-output-error";
import { extractJson } from "./extract-json";

/** A chat message sent to the endpoint. */
export interface PromptMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The endpoint and sampling settings shared by every call of a generator. */
export interface LlmEndpoint {
  client: OpenAI;
  model: string;
  temperature: number;
  maxTokens: number | undefined;
  timeoutMs: number;
  /** Whether to send `response_format: json_object`; `auto` turns it off for good if the endpoint refuses it. */
  jsonMode: { mode: "auto" | "on" | "off"; refused: boolean };
}

function refusesJsonMode(error: unknown): boolean {
  return (
    error instanceof OpenAI.BadRequestError &&
    (error.param === "response_format" || /response_format|json_object|json mode/i.test(error.message))
  );
}

/**
 * Asks the endpoint once and returns the reply's text.
 * @param endpoint - client, model and sampling settings
 * @param messages - the conversation
 * @param options - `json` to request JSON mode, a per-call `seed`, and the abort signal
 * @returns the reply text
 * @throws the openai client's errors (APIError subclasses, timeouts, aborts)
 * @example
 * ```ts
 * const text = await complete(endpoint, [{ role: "user", content: "Hi" }], { json: false });
 * ```
 */
export async function complete(
  endpoint: LlmEndpoint,
  messages: PromptMessage[],
  options: { json: boolean; seed?: number; signal?: AbortSignal },
): Promise<string> {
  const useJson = options.json && endpoint.jsonMode.mode !== "off" && !endpoint.jsonMode.refused;
  // A per-call controller linked to the run's signal, so listeners on the shared signal do not pile up.
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const r = await endpoint.client.chat.completions.create(
      {
        model: endpoint.model,
        messages,
        temperature: endpoint.temperature,
        ...(endpoint.maxTokens === undefined ? {} : { max_tokens: endpoint.maxTokens }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(useJson ? { response_format: { type: "json_object" as const } } : {}),
      },
      { timeout: endpoint.timeoutMs, signal: controller.signal, maxRetries: 0 },
    );
    return r.choices[0]?.message?.content ?? "";
  } catch (error) {
    if (useJson && endpoint.jsonMode.mode === "auto" && refusesJsonMode(error)) {
      endpoint.jsonMode.refused = true;
      return complete(endpoint, messages, options);
    }
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Parses and validates a reply against a zod schema.
 * @param text - the model's reply
 * @param schema - what a valid value looks like
 * @returns the validated value
 * @throws {DatagenOutputError} when no JSON is found or it does not match
 * @example
 * ```ts
 * parseReply('```json\n{"a": 1}\n```', z.object({ a: z.number() })); // { a: 1 }
 * ```
 */
export function parseReply<S extends z.ZodTypeAny>(text: string, schema: S): z.infer<S> {
  const found = extractJson(text);
  if (!found.ok) throw new DatagenOutputError({ output: text, problem: "no JSON object found" });
  const parsed = schema.safeParse(found.value);
  if (!parsed.success) {
    const problem = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
      .join("; ");
    throw new DatagenOutputError({ output: text, problem: `schema mismatch (${problem})` });
  }
  return parsed.data;
}
