import { randomBytes } from "node:crypto";
import type { FastifyReply } from "fastify";
import { ApiError } from "./api-error";
import { type CompletionOutcome, type FinishReason, streamCompletion } from "./completion-stream";
import { generateOptions, type PlannedPrompt, type SamplingRequest } from "./generation-plan";
import type { GenerationQueue } from "./generation-queue";
import type { ServableModel } from "./servable-model";

/** Token counts of one response, OpenAI-shaped. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One finished choice. */
export interface FinishedChoice {
  index: number;
  text: string;
  finishReason: FinishReason;
}

/** Turns choices into an endpoint's JSON shapes (chat and text completions differ only here). */
export interface ResponseShape {
  /** Chunk sent when choice `index` starts streaming, if the endpoint has one (chat: the role delta). */
  open?(index: number): object;
  /** Chunk carrying new text of choice `index`. */
  delta(index: number, text: string): object;
  /** Chunk closing choice `index`. */
  finish(index: number, reason: FinishReason): object;
  /** Last chunk with the usage, when `stream_options.include_usage` is set. */
  usage(usage: Usage): object;
  /** The whole non-streamed response. */
  response(choices: FinishedChoice[], usage: Usage): object;
}

/** What one request asks to generate. */
export interface CompletionJob {
  model: ServableModel;
  queue: GenerationQueue;
  reply: FastifyReply;
  /** Prompts to complete (the chat endpoint has one). */
  prompts: PlannedPrompt[];
  /** Choices per prompt. */
  n: number;
  sampling: SamplingRequest;
  stream: boolean;
  includeUsage: boolean;
  shape: ResponseShape;
}

/**
 * A fresh response id, e.g. `chatcmpl-3f2a…`.
 * @param prefix - `chatcmpl` or `cmpl`
 * @returns the id
 * @example
 * ```ts
 * responseId("cmpl"); // "cmpl-9b1c…"
 * ```
 */
export function responseId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString("hex")}`;
}

/** An AbortSignal that fires when the client disconnects before the response ended. */
function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableEnded) controller.abort(new Error("client disconnected"));
  });
  return controller.signal;
}

/** Every (prompt, choice) pair in response order. */
function choicesOf(job: CompletionJob): { index: number; planned: PlannedPrompt }[] {
  return job.prompts.flatMap((planned, p) =>
    Array.from({ length: job.n }, (_, i) => ({ index: p * job.n + i, planned })),
  );
}

function usageOf(job: CompletionJob, completionTokens: number): Usage {
  const promptTokens = job.prompts.reduce((s, p) => s + p.promptTokens, 0);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/**
 * Runs one choice, handing each text delta to `onText`. Returns `undefined` when the signal fired. Always
 * ends the stream, so the model's generator runs its `finally` and frees its slot.
 */
async function runChoice(
  job: CompletionJob,
  index: number,
  planned: PlannedPrompt,
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<CompletionOutcome | undefined> {
  const it = streamCompletion(
    job.model,
    planned.prompt,
    generateOptions(job.sampling, planned, index, signal),
  );
  try {
    for (let r = await it.next(); !signal.aborted; r = await it.next()) {
      if (r.done) return r.value;
      onText(r.value);
    }
    return undefined;
  } finally {
    await it.return({ finishReason: "stop", completionTokens: 0 });
  }
}

async function generateAll(job: CompletionJob, signal: AbortSignal): Promise<void> {
  const finished: FinishedChoice[] = [];
  let completionTokens = 0;
  for (const { index, planned } of choicesOf(job)) {
    let text = "";
    const outcome = await runChoice(job, index, planned, signal, (t) => {
      text += t;
    });
    if (!outcome) return;
    finished.push({ index, text, finishReason: outcome.finishReason });
    completionTokens += outcome.completionTokens;
  }
  await job.reply.send(job.shape.response(finished, usageOf(job, completionTokens)));
}

function writeEvent(reply: FastifyReply, data: object | string): void {
  if (!reply.raw.writableEnded && !reply.raw.destroyed) {
    reply.raw.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
  }
}

async function streamAll(job: CompletionJob, signal: AbortSignal): Promise<void> {
  const { reply, shape } = job;
  reply.hijack();
  reply.raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  let completionTokens = 0;
  try {
    for (const { index, planned } of choicesOf(job)) {
      if (shape.open) writeEvent(reply, shape.open(index));
      const outcome = await runChoice(job, index, planned, signal, (t) =>
        writeEvent(reply, shape.delta(index, t)),
      );
      if (!outcome) return;
      completionTokens += outcome.completionTokens;
      writeEvent(reply, shape.finish(index, outcome.finishReason));
    }
    if (job.includeUsage) writeEvent(reply, shape.usage(usageOf(job, completionTokens)));
    writeEvent(reply, "[DONE]");
  } catch (error) {
    writeEvent(reply, { error: toApiError(error).toBody().error });
  } finally {
    reply.raw.end();
  }
}

/**
 * Converts anything thrown while generating into an {@link ApiError} (500 `server_error` unless it is one).
 * @param error - what was thrown
 * @returns an ApiError
 * @example
 * ```ts
 * toApiError(new Error("boom")).status; // 500
 * ```
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError({ status: 500, type: "server_error", message: `The model failed: ${message}` });
}

/**
 * Queues the job, runs the model for every choice and writes the response, streamed (SSE) or whole.
 * Generation stops when the client disconnects.
 * @param job - what to generate and how to shape it
 * @returns when the response has been written
 * @throws {ApiError} 429 when the queue is full; 500 when a non-streamed generation fails
 * @example
 * ```ts
 * await respondWithCompletion({ model, queue, reply, prompts, n: 1, sampling, stream: false, includeUsage: false, shape });
 * ```
 */
export async function respondWithCompletion(job: CompletionJob): Promise<void> {
  const signal = disconnectSignal(job.reply);
  const ran = await job.queue.run(async () => {
    try {
      await (job.stream ? streamAll(job, signal) : generateAll(job, signal));
    } catch (error) {
      throw toApiError(error);
    }
    return true;
  }, signal);
  if (!ran || (signal.aborted && !job.reply.sent)) {
    // The client left while queued or generating: nobody to answer.
    job.reply.hijack();
    job.reply.raw.destroy();
  }
}
