import { ApiError } from "./api-error";
import type { GenerateOptions, ServableModel } from "./servable-model";

/** The sampling fields of a validated request (both endpoints). */
export interface SamplingRequest {
  temperature?: number | null;
  top_p?: number | null;
  stop: string[];
  seed?: number | null;
  response_format: "text" | "json_object";
}

/** One prompt to complete, with its token count and resolved token budget. */
export interface PlannedPrompt {
  prompt: string;
  promptTokens: number;
  maxTokens: number;
}

/**
 * Counts a prompt's tokens and resolves its completion budget, refusing prompts the context cannot hold.
 * @param model - the model (for `countTokens` and `contextLength`)
 * @param prompt - the full prompt text
 * @param requested - `max_tokens` from the request, if given
 * @param fallback - budget when none was requested (capped by the room left); `undefined` means "the rest of the context"
 * @param param - the request field the prompt came from (`messages`, `prompt`, `prompt.2`), for errors
 * @returns the planned prompt
 * @throws {ApiError} 400 `context_length_exceeded` when prompt + requested tokens exceed the context; 400
 *   naming `param` when the prompt encodes to no token at all (an empty prompt for a model without a
 *   beginning-of-sequence token to start from)
 * @example
 * ```ts
 * const p = planPrompt(model, "Hello", 16, undefined, "prompt"); // { prompt, promptTokens, maxTokens: 16 }
 * ```
 */
export function planPrompt(
  model: ServableModel,
  prompt: string,
  requested: number | null | undefined,
  fallback: number | undefined,
  param: string,
): PlannedPrompt {
  const promptTokens = model.countTokens(prompt);
  if (promptTokens === 0) {
    throw new ApiError({
      status: 400,
      type: "invalid_request_error",
      param,
      message:
        `Invalid '${param}': the prompt is empty and the model '${model.id}' has no beginning-of-sequence ` +
        "token to start from. Send at least one character of prompt.",
    });
  }
  const room = model.contextLength - promptTokens;
  const wanted = requested ?? (fallback === undefined ? undefined : Math.max(1, Math.min(fallback, room)));
  if (room < 1 || (wanted !== undefined && wanted > room)) {
    throw new ApiError({
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      param,
      message:
        `This model's maximum context length is ${model.contextLength} tokens. However, you requested ` +
        `${promptTokens + (wanted ?? 0)} tokens (${promptTokens} in the prompt, ${wanted ?? 0} for the ` +
        "completion). Please reduce the prompt or the max_tokens.",
    });
  }
  return { prompt, promptTokens, maxTokens: Math.min(wanted ?? room, room) };
}

/**
 * The options passed to the model for one choice. Choice `i` of a seeded request uses `seed + i`, so the
 * `n` choices differ yet the whole response is reproducible.
 * @param request - the validated sampling fields
 * @param planned - the planned prompt
 * @param choice - the choice index
 * @param signal - cancellation
 * @returns the model's generate options
 * @example
 * ```ts
 * const opts = generateOptions(req, planned, 0, controller.signal);
 * ```
 */
export function generateOptions(
  request: SamplingRequest,
  planned: PlannedPrompt,
  choice: number,
  signal: AbortSignal,
): GenerateOptions {
  return {
    maxTokens: planned.maxTokens,
    temperature: request.temperature ?? 1,
    topP: request.top_p ?? 1,
    stop: request.stop,
    ...(request.seed == null ? {} : { seed: request.seed + choice }),
    responseFormat: request.response_format,
    signal,
  };
}
