import type { FastifyInstance } from "fastify";
import { type ResponseShape, respondWithCompletion, responseId } from "./completion-responder";
import { planPrompt } from "./generation-plan";
import type { GenerationQueue } from "./generation-queue";
import { requireModel } from "./models-route";
import { chatCompletionRequestSchema, messageText, parseRequest } from "./request-schemas";
import type { ChatMessage, ServableModel } from "./servable-model";

function chatShape(id: string, model: string): ResponseShape {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: object[], extra: object = {}) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices,
    ...extra,
  });
  return {
    open: (index) =>
      chunk([{ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
    delta: (index, text) => chunk([{ index, delta: { content: text }, logprobs: null, finish_reason: null }]),
    finish: (index, reason) => chunk([{ index, delta: {}, logprobs: null, finish_reason: reason }]),
    usage: (usage) => chunk([], { usage }),
    response: (choices, usage) => ({
      id,
      object: "chat.completion",
      created,
      model,
      choices: choices.map((c) => ({
        index: c.index,
        message: { role: "assistant", content: c.text, refusal: null },
        logprobs: null,
        finish_reason: c.finishReason,
      })),
      usage,
    }),
  };
}

/**
 * Registers `POST /v1/chat/completions`: the chat template is applied to `messages`, then the model
 * completes it (streamed as SSE when `stream` is true).
 * @param app - the fastify instance
 * @param model - the served model
 * @param queue - the generation queue
 * @example
 * ```ts
 * registerChatCompletions(app, model, queue);
 * ```
 */
export function registerChatCompletions(
  app: FastifyInstance,
  model: ServableModel,
  queue: GenerationQueue,
): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    const body = parseRequest(chatCompletionRequestSchema, request.body);
    requireModel(model, body.model);
    const messages: ChatMessage[] = body.messages.map((m) => ({
      role: m.role,
      content: messageText(m.content),
    }));
    const prompt = model.applyChatTemplate(messages, { addGenerationPrompt: true });
    const planned = planPrompt(
      model,
      prompt,
      body.max_completion_tokens ?? body.max_tokens,
      undefined,
      "messages",
    );
    await respondWithCompletion({
      model,
      queue,
      reply,
      prompts: [planned],
      n: body.n ?? 1,
      sampling: body,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      shape: chatShape(responseId("chatcmpl"), model.id),
    });
  });
}
