/**
 * zod schemas of the request bodies the server accepts, following the OpenAI API. Unknown fields are kept
 * and ignored (clients send many optional ones); fields we cannot honour are rejected with a clear message.
 */
import { z } from "zod";
import { valueAt } from "../util";
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
  model: z.string().min(1),
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

/** A value's JSON type, as a client would name it. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** What a zod type name means to a client. */
function expectedType(expected: string): string {
  const names: Record<string, string> = {
    string: "a string",
    number: "a number",
    integer: "an integer",
    boolean: "a boolean",
    array: "an array",
    object: "an object",
    null: "null",
  };
  return names[expected] ?? expected;
}

const quote = (v: unknown) => (typeof v === "string" ? `'${v}'` : JSON.stringify(v));

/**
 * An OpenAI-style message for one schema issue: what field, what was expected, what was sent; never zod's
 * own wording. Unions are described by the branch the value came closest to.
 */
function describeIssue(issue: z.ZodIssue, body: unknown): string {
  const param = issue.path.join(".");
  const { value } = valueAt(body, issue.path);
  if (isMissing(issue, body)) return `Missing required parameter: '${param}'.`;
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      return `Invalid type for '${param}': expected ${expectedType(issue.expected)}, but got ${jsonType(value)}.`;
    case z.ZodIssueCode.too_small:
    case z.ZodIssueCode.too_big: {
      const small = issue.code === z.ZodIssueCode.too_small;
      const bound = Number(small ? issue.minimum : issue.maximum);
      if (issue.type === "array" || issue.type === "string") {
        const unit = issue.type === "array" ? "item" : "character";
        const length = Array.isArray(value) || typeof value === "string" ? value.length : 0;
        const limit = `${small ? "at least" : "at most"} ${bound} ${unit}${bound === 1 ? "" : "s"}`;
        return `Invalid '${param}': expected ${limit}, but got ${length}.`;
      }
      const relation = small
        ? issue.inclusive
          ? "below the minimum of"
          : "not greater than"
        : issue.inclusive
          ? "above the maximum of"
          : "not less than";
      return `Invalid '${param}': ${quote(value)} is ${relation} ${bound}.`;
    }
    case z.ZodIssueCode.invalid_enum_value:
      return `Invalid value for '${param}': ${quote(value)}. Supported values are: ${issue.options.map(quote).join(", ")}.`;
    case z.ZodIssueCode.invalid_literal:
      return `Invalid value for '${param}': ${quote(value)}; expected ${quote(issue.expected)}.`;
    case z.ZodIssueCode.invalid_union: {
      // Every branch rejected the value's type (parseRequest describes a closer branch otherwise).
      const firsts = issue.unionErrors.map((e) => e.issues[0]).filter((i) => i !== undefined);
      const expected = firsts.map((i) => (i.code === "invalid_type" ? expectedType(i.expected) : "?"));
      return `Invalid type for '${param}': expected ${expected.join(" or ")}, but got ${jsonType(value)}.`;
    }
    default:
      return `Invalid '${param}': ${issue.message}.`;
  }
}

/** Whether the issue is a required field left out. */
function isMissing(issue: z.ZodIssue, body: unknown): boolean {
  const typeIssue = issue.code === z.ZodIssueCode.invalid_type || issue.code === z.ZodIssueCode.invalid_union;
  return typeIssue && valueAt(body, issue.path).value === undefined;
}

/** The issue a message and `param` are about: for a union, the branch the value came closest to. */
function primaryIssue(issue: z.ZodIssue): z.ZodIssue {
  if (issue.code !== z.ZodIssueCode.invalid_union) return issue;
  const firsts = issue.unionErrors.map((e) => e.issues[0]).filter((i) => i !== undefined);
  const closest = firsts.find((i) => !(i.code === "invalid_type" && i.path.length === issue.path.length));
  return closest ? primaryIssue(closest) : issue;
}

/**
 * Validates a request body; the first problem becomes a 400 `invalid_request_error` naming the field in
 * `param`, with a message in OpenAI's words (never the validator's internals).
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
  const issue = primaryIssue(parsed.error.issues[0]);
  const param = issue.path.length ? issue.path.join(".") : null;
  throw new ApiError({
    status: 400,
    type: "invalid_request_error",
    param,
    code: isMissing(issue, body) ? "missing_required_parameter" : null,
    message: param ? describeIssue(issue, body) : `Invalid request: ${issue.message}.`,
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
