import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import { accessControl } from "./access-control";
import { ApiError } from "./api-error";
import { registerChatCompletions } from "./chat-completions-route";
import { registerCompletions } from "./completions-route";
import { GenerationQueue } from "./generation-queue";
import { ListenError } from "./listen-error";
import { registerModels } from "./models-route";
import { parseServeOptions, type ServeOptions } from "./serve-options";

/** A running server. */
export interface RunningServer {
  /** Base URL of the OpenAI API, e.g. `http://127.0.0.1:8000/v1` (give it to the openai client as `baseURL`). */
  readonly baseURL: string;
  /** The served model's id (what clients pass as `model`). */
  readonly modelId: string;
  /** The bound host. */
  readonly host: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Generations running and requests waiting. */
  load(): { active: number; waiting: number };
  /** Stops accepting connections, lets running and queued requests finish, then resolves. */
  close(): Promise<void>;
}

/** Maps fastify's own errors (bad JSON, body too large, wrong content type) to OpenAI-shaped ones. */
function toHttpError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  const status = error.statusCode ?? 500;
  if (status >= 500) return new ApiError({ status, type: "server_error", message: error.message });
  const messages: Record<string, string> = {
    FST_ERR_CTP_INVALID_JSON_BODY: "We could not parse the JSON body of your request: expected valid JSON.",
    FST_ERR_CTP_EMPTY_JSON_BODY: "The request body is empty: expected a JSON object.",
  };
  const fallback = error instanceof SyntaxError ? messages.FST_ERR_CTP_INVALID_JSON_BODY : error.message;
  return new ApiError({
    status,
    type: "invalid_request_error",
    code: status === 413 ? "request_too_large" : null,
    message: messages[error.code] ?? fallback,
  });
}

/** Counts requests whose response has not closed yet (hijacked streams included). */
function trackInFlight(app: FastifyInstance): () => number {
  let inFlight = 0;
  app.addHook("onRequest", async (_request, reply) => {
    inFlight++;
    reply.raw.once("close", () => inFlight--);
  });
  return () => inFlight;
}

function buildApp(
  options: ReturnType<typeof parseServeOptions>,
  queue: GenerationQueue,
  port: () => number,
): { app: FastifyInstance; inFlight: () => number } {
  const app = Fastify({
    logger: options.logRequests,
    bodyLimit: options.bodyLimitBytes,
    return503OnClosing: true,
  });
  const inFlight = trackInFlight(app);
  app.addHook(
    "onRequest",
    accessControl({ apiKey: options.apiKey, host: options.host, port, allowedHosts: options.allowedHosts }),
  );
  app.setErrorHandler((error: FastifyError | ApiError, _request, reply: FastifyReply) => {
    const http = toHttpError(error);
    if (reply.sent) return;
    reply.code(http.status).send(http.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const http = new ApiError({
      status: 404,
      type: "invalid_request_error",
      code: "unknown_url",
      message: `Unknown request URL: ${request.method} ${request.url}. Endpoints: /v1/models, /v1/chat/completions, /v1/completions, /health.`,
    });
    reply.code(404).send(http.toBody());
  });
  app.get("/health", { config: { public: true } }, async () => ({
    status: "ok",
    model: options.model.id,
    active: queue.active,
    waiting: queue.waiting,
  }));
  registerModels(app, options.model, Math.floor(Date.now() / 1000));
  registerChatCompletions(app, options.model, queue);
  registerCompletions(app, options.model, queue);
  return { app, inFlight };
}

/**
 * Closes the server after in-flight requests finish. Connections are closed as they go idle (Node closes
 * only those idle when `close()` is called, and never ones a client opened without sending a request), and
 * all remaining ones once no request is in flight.
 */
async function drainAndClose(app: FastifyInstance, inFlight: () => number): Promise<void> {
  const sweep = setInterval(() => {
    if (inFlight() === 0) app.server.closeAllConnections();
    else app.server.closeIdleConnections();
  }, 25);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

/**
 * Serves a model over an OpenAI-compatible HTTP API: `GET /v1/models`, `POST /v1/chat/completions`,
 * `POST /v1/completions` (streamed or not), `GET /health`. Generations run one at a time (or
 * `model.maxConcurrentGenerations`), queued in arrival order; a client that disconnects cancels its generation.
 *
 * @param options - the model, host/port, optional API key and limits (see {@link ServeOptions})
 * @returns the running server; call `close()` to drain and stop
 * @throws {ConfigError} for invalid options (e.g. a non-loopback host without an API key)
 * @throws {ListenError} when the address cannot be bound (port in use, privileged port, foreign host)
 * @example
 * ```ts
 * const server = await serve({ model, port: 0 });
 * const client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused" });
 * const r = await client.chat.completions.create({ model: model.id, messages: [{ role: "user", content: "Hi" }] });
 * await server.close();
 * ```
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const resolved = parseServeOptions(options);
  const queue = new GenerationQueue({
    concurrency: Math.max(1, resolved.model.maxConcurrentGenerations ?? 1),
    maxQueue: resolved.maxQueue,
  });
  let port = resolved.port;
  const { app, inFlight } = buildApp(resolved, queue, () => port);
  try {
    await app.listen({ host: resolved.host, port: resolved.port });
  } catch (error) {
    await app.close();
    throw new ListenError(resolved.host, resolved.port, error);
  }
  const address = app.server.address();
  if (typeof address === "object" && address) port = address.port;
  const urlHost = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  let closing: Promise<void> | undefined;
  return {
    baseURL: `http://${urlHost}:${port}/v1`,
    modelId: resolved.model.id,
    host: resolved.host,
    port,
    load: () => ({ active: queue.active, waiting: queue.waiting }),
    close: () => {
      closing ??= drainAndClose(app, inFlight);
      return closing;
    },
  };
}
