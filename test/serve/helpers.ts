/** Shared helpers of the serve/datagen end-to-end tests. */
import OpenAI from "openai";
import { type ApiErrorBody, type RunningServer, type ServeOptions, serve } from "../../sdk/serve";
import { ScriptedModel, type ScriptedModelOptions } from "./scripted-model";

/** A server on a free loopback port serving a fresh scripted test double, and an openai client for it. */
export interface TestServer {
  model: ScriptedModel;
  server: RunningServer;
  client: OpenAI;
  /** `http://127.0.0.1:<port>` (no `/v1`). */
  origin: string;
}

/**
 * Starts a server around a scripted test double, runs `fn`, and always closes the server.
 * @param modelOptions - options of the test double
 * @param serveOptions - extra serve options
 * @param fn - the test body
 */
export async function withServer(
  modelOptions: ScriptedModelOptions,
  serveOptions: Partial<ServeOptions>,
  fn: (t: TestServer) => Promise<void>,
): Promise<void> {
  const model = new ScriptedModel(modelOptions);
  const server = await serve({ port: 0, ...serveOptions, model });
  const client = new OpenAI({
    baseURL: server.baseURL,
    apiKey: serveOptions.apiKey ?? "none",
    maxRetries: 0,
  });
  try {
    await fn({ model, server, client, origin: server.baseURL.replace(/\/v1$/, "") });
  } finally {
    await server.close();
  }
}

/** A JSON response body: an OpenAI error or any other object. */
export type RawBody = { error: ApiErrorBody } & Record<string, unknown>;

/**
 * Sends a raw HTTP request and returns the status and the parsed JSON body.
 * @param url - absolute URL
 * @param init - fetch options; a string `body` is sent as-is with a JSON content type
 */
export async function rawRequest(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: RawBody }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  let body = { text } as unknown as RawBody;
  try {
    body = JSON.parse(text) as RawBody;
  } catch {}
  return { status: res.status, body };
}

/** The quick brown fox, a fixed reply of 9 tokens. */
export const FOX = "The quick brown fox jumps over the lazy dog.";
