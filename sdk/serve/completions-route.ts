import type { FastifyInstance } from "fastify";
import { type ResponseShape, respondWithCompletion, responseId } from "./completion-responder";
import { planPrompt } from "./generation-plan";
import type { GenerationQueue } from "./generation-queue";
import { requireModel } from "./models-route";
import { completionRequestSchema, parseRequest } from "./request-schemas";
import type { ServableModel } from "./servable-model";

/** OpenAI's default `max_tokens` for the legacy completions endpoint. */
const DEFAULT_COMPLETION_TOKENS = 16;

function textShape(id: string, model: string): ResponseShape {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: object[], extra: object = {}) => ({
    id,
    object: "text_completion",
    created,
    model,
    choices,
    ...extra,
  });
  return {
    delta: (index, text) => chunk([{ index, text, logprobs: null, finish_reason: null }]),
    finish: (index, reason) => chunk([{ index, text: "", logprobs: null, finish_reason: reason }]),
    usage: (usage) => chunk([], { usage }),
    response: (choices, usage) =>
      chunk(
        choices.map((c) => ({ index: c.index, text: c.text, logprobs: null, finish_reason: c.finishReason })),
        { usage },
      ),
  };
}

/**
 * Registers `POST /v1/completions`: raw prompt completion, no chat template (`prompt` may be a list;
 * choice `i` of prompt `p` has index `p * n + i`). An empty prompt is completed from the model's
 * beginning-of-sequence token, as OpenAI does (400 naming `prompt` for a model without one).
 * @param app - the fastify instance
 * @param model - the served model
 * @param queue - the generation queue
 * @example
 * ```ts
 * registerCompletions(app, model, queue);
 * ```
 */
export function registerCompletions(
  app: FastifyInstance,
  model: ServableModel,
  queue: GenerationQueue,
): void {
  app.post("/v1/completions", async (request, reply) => {
    const body = parseRequest(completionRequestSchema, request.body);
    requireModel(model, body.model);
    const prompts = typeof body.prompt === "string" ? [body.prompt] : body.prompt;
    const planned = prompts.map((p, i) =>
      planPrompt(
        model,
        p,
        body.max_tokens,
        DEFAULT_COMPLETION_TOKENS,
        typeof body.prompt === "string" ? "prompt" : `prompt.${i}`,
      ),
    );
    await respondWithCompletion({
      model,
      queue,
      reply,
      prompts: planned,
      n: body.n ?? 1,
      sampling: body,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      shape: textShape(responseId("cmpl"), model.id),
    });
  });
}
