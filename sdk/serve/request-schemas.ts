/**
 * zod schemas of the request bodies the server accepts, following the OpenAI API. Unknown fields are kept
 * and ignored (clients send many optional ones); fields we cannot honour are rejected with a clear message.
 */
import { z } from "zod";
import { ApiError } from "./api-error";

const textPart = z.object({ type: z.literal("text"), text: z.string() });

/** A chat message: content as a string or a list of text parts. */
const messageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
  name: z.string().optional(),
});

const stopSchema = z
  .union([z.string(), z.array(z.string()).max(4, "at most 4 stop sequences")])
  .nullish()
  .transform((s) => (s == null ? [] : (typeof s === "string" ? [s] : s).filter((x) => x.length > 0)));

const responseFormatSchema = z
  .object({ type: z.enum(["text", "json_object", "json_schema"]) })
  .passthrough()
  .nullish()
  .transform((f) => (f == null || f.type === "text" ? "text" : "json_object") as "text" | "json_object");

/** Sampling fields shared by both endpoints. */
const samplingFields = {
  model: z.string({ required_error: "'model' is required" }).min(1),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  stop: stopSchema,
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(16).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  response_format: responseFormatSchema,
  logprobs: z
    .union([z.boolean(), z.number()])
    .nullish()
    .refine((v) => !v, "logprobs are not supported by this server; leave it unset"),
};

/** Body of `POST /v1/chat/completions`. */
export const chatCompletionRequestSchema = z
  .object({
    ...samplingFields,
    messages: z.array(messageSchema).min(1, "'messages' must hold at least one message"),
    max_completion_tokens: z.number().int().min(1).nullish(),
    tools: z
      .array(z.unknown())
      .nullish()
      .refine((t) => !t || t.length === 0, "tools are not supported by this server"),
  })
  .passthrough();

/** Body of `POST /v1/completions`. */
export const completionRequestSchema = z
  .object({
    ...samplingFields,
    prompt: z.union([z.string(), z.array(z.string()).min(1)]),
    echo: z
      .boolean()
      .nullish()
      .refine((v) => !v, "echo is not supported by this server"),
  })
  .passthrough();

/** A validated chat request. */
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
/** A validated completions request. */
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

/**
 * Validates a request body; the first problem becomes a 400 `invalid_request_error` naming the field.
 * @param schema - the endpoint's schema
 * @param body - the parsed JSON body
 * @returns the validated request
 * @throws {ApiError} 400 when the body does not match
 * @example
 * ```ts
 * const req = parseRequest(chatCompletionRequestSchema, { model: "m", messages: [{ role: "user", content: "hi" }] });
 * ```
 */
export function parseRequest<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError({
      status: 400,
      type: "invalid_request_error",
      message: "The request body must be a JSON object.",
    });
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue.path.length ? issue.path.join(".") : null;
  throw new ApiError({
    status: 400,
    type: "invalid_request_error",
    param,
    code:
      issue.code === "invalid_type" && issue.received === "undefined" ? "missing_required_parameter" : null,
    message: `Invalid request${param ? ` at '${param}'` : ""}: ${issue.message}.`,
  });
}

/**
 * The text of a message's content (text parts joined).
 * @param content - a string, a list of text parts, or nothing
 * @returns the text
 * @example
 * ```ts
 * messageText([{ type: "text", text: "a" }, { type: "text", text: "b" }]); // "ab"
 * ```
 */
export function messageText(content: string | { text: string }[] | null | undefined): string {
  if (content == null) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}
