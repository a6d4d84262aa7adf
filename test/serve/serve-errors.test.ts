import assert from "node:assert/strict";
import { describe, test } from "node:test";
import OpenAI from "openai";
import { TunebookError } from "../../sdk/errors";
import { ListenError, serve } from "../../sdk/serve";
import { FOX, rawRequest, withServer } from "./helpers";
import { ScriptedModel } from "./scripted-model";

const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "scripted-test-double", messages: [{ role: "user", content: "hi" }], ...extra });

/** Every error body has OpenAI's shape: { error: { message, type, param, code } }. */
function assertErrorShape(body: unknown): void {
  const e = (body as { error: Record<string, unknown> }).error;
  assert.deepEqual(Object.keys(e).sort(), ["code", "message", "param", "type"]);
  assert.equal(typeof e.message, "string");
  assert.equal(typeof e.type, "string");
}

describe("serve: OpenAI-shaped errors over raw HTTP", () => {
  test("400 for malformed JSON, non-object bodies, bad and missing parameters", async () => {
    await withServer({}, {}, async ({ origin }) => {
      const url = `${origin}/v1/chat/completions`;
      const bad = await rawRequest(url, { body: '{"model": "x", "messages": [' });
      assert.equal(bad.status, 400);
      assertErrorShape(bad.body);
      assert.equal(bad.body.error.type, "invalid_request_error");
      assert.match(bad.body.error.message, /JSON/);

      const arr = await rawRequest(url, { body: "[1,2]" });
      assert.equal(arr.status, 400);
      assertErrorShape(arr.body);

      const temp = await rawRequest(url, { body: chatBody({ temperature: 5 }) });
      assert.equal(temp.status, 400);
      assert.equal(temp.body.error.param, "temperature");

      const topP = await rawRequest(url, { body: chatBody({ top_p: 0 }) });
      assert.equal(topP.body.error.param, "top_p");

      const n = await rawRequest(url, { body: chatBody({ n: 0 }) });
      assert.equal(n.body.error.param, "n");

      const maxTokens = await rawRequest(url, { body: chatBody({ max_tokens: 1.5 }) });
      assert.equal(maxTokens.body.error.param, "max_tokens");

      const role = await rawRequest(url, {
        body: JSON.stringify({ model: "scripted-test-double", messages: [{ role: "wizard", content: "x" }] }),
      });
      assert.equal(role.status, 400);
      assert.equal(role.body.error.param, "messages.0.role");

      const missing = await rawRequest(url, { body: JSON.stringify({ model: "scripted-test-double" }) });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.param, "messages");
      assert.equal(missing.body.error.code, "missing_required_parameter");

      const tools = await rawRequest(url, { body: chatBody({ tools: [{ type: "function" }] }) });
      assert.equal(tools.status, 400);
      assert.match(tools.body.error.message, /tools are not supported/);

      const empty = await rawRequest(url, { body: "" });
      assert.equal(empty.status, 400);
      assertErrorShape(empty.body);
    });
  });

  test("401 for a missing or wrong API key; /health stays open; the right key works", async () => {
    await withServer({ script: () => FOX }, { apiKey: "s3cret" }, async ({ origin, client }) => {
      const url = `${origin}/v1/chat/completions`;
      const none = await rawRequest(url, { body: chatBody() });
      assert.equal(none.status, 401);
      assertErrorShape(none.body);
      assert.equal(none.body.error.code, "invalid_api_key");
      const wrong = await rawRequest(url, { body: chatBody(), headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
      const models = await rawRequest(`${origin}/v1/models`, {
        headers: { authorization: "Bearer s3cret1" },
      });
      assert.equal(models.status, 401);
      const ok = await rawRequest(url, { body: chatBody(), headers: { authorization: "Bearer s3cret" } });
      assert.equal(ok.status, 200);
      assert.equal((await rawRequest(`${origin}/health`)).status, 200);
      // The openai client with the right key, and one with a wrong key (AuthenticationError).
      const r = await client.chat.completions.create({
        model: "scripted-test-double",
        messages: [] as never,
      });
      assert.fail(`expected a 400 for empty messages, got ${JSON.stringify(r)}`);
    }).catch((e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, String(e));
    });
    await withServer({}, { apiKey: "s3cret" }, async ({ server }) => {
      const wrong = new OpenAI({ baseURL: server.baseURL, apiKey: "other", maxRetries: 0 });
      await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
    });
  });

  test("404 for an unknown model and an unknown route", async () => {
    await withServer({}, {}, async ({ origin, client }) => {
      const r = await rawRequest(`${origin}/v1/chat/completions`, { body: chatBody({ model: "gpt-9" }) });
      assert.equal(r.status, 404);
      assertErrorShape(r.body);
      assert.equal(r.body.error.code, "model_not_found");
      assert.equal(r.body.error.param, "model");
      await assert.rejects(
        client.completions.create({ model: "gpt-9", prompt: "x" }),
        (e: unknown) => e instanceof OpenAI.NotFoundError,
      );
      const route = await rawRequest(`${origin}/v1/embeddings`, { body: "{}" });
      assert.equal(route.status, 404);
      assertErrorShape(route.body);
    });
  });

  test("400 context_length_exceeded when prompt + max_tokens exceed the context", async () => {
    await withServer({ contextLength: 10 }, {}, async ({ origin, model }) => {
      const url = `${origin}/v1/chat/completions`;
      // "<user> hi\n<assistant>" is 3 tokens: 7 left.
      const over = await rawRequest(url, { body: chatBody({ max_tokens: 8 }) });
      assert.equal(over.status, 400);
      assert.equal(over.body.error.code, "context_length_exceeded");
      assert.match(over.body.error.message, /maximum context length is 10 tokens/);
      assert.equal((await rawRequest(url, { body: chatBody({ max_tokens: 7 }) })).status, 200);
      const long = await rawRequest(url, {
        body: chatBody({ messages: [{ role: "user", content: "a b c d e f g h i j k" }] }),
      });
      assert.equal(long.body.error.code, "context_length_exceeded");
      const text = await rawRequest(`${origin}/v1/completions`, {
        body: JSON.stringify({ model: "scripted-test-double", prompt: "a b c d", max_tokens: 7 }),
      });
      assert.equal(text.body.error.code, "context_length_exceeded");
      // Without max_tokens, /v1/completions uses min(16, room left): 10 - 4 = 6 here.
      const capped = await rawRequest(`${origin}/v1/completions`, {
        body: JSON.stringify({ model: "scripted-test-double", prompt: "a b c d" }),
      });
      assert.equal(capped.status, 200);
      assert.equal(model.calls.at(-1)?.options.maxTokens, 6);
    });
  });

  test("413 for a body over the limit", async () => {
    await withServer({}, { bodyLimitBytes: 1000 }, async ({ origin }) => {
      const big = chatBody({ messages: [{ role: "user", content: "x".repeat(2000) }] });
      const r = await rawRequest(`${origin}/v1/chat/completions`, { body: big });
      assert.equal(r.status, 413);
      assertErrorShape(r.body);
    });
  });

  test("a failing model gives 500 server_error, streamed or not, and the server keeps serving", async () => {
    const faults = (call: number) =>
      call < 2 ? { type: "throw" as const, message: "CUDA on fire" } : undefined;
    await withServer({ faults, script: () => FOX }, {}, async ({ origin, client, model }) => {
      const r = await rawRequest(`${origin}/v1/chat/completions`, { body: chatBody() });
      assert.equal(r.status, 500);
      assert.equal(r.body.error.type, "server_error");
      assert.match(r.body.error.message, /CUDA on fire/);
      const stream = await client.chat.completions
        .create({ model: model.id, messages: [], stream: true } as never)
        .catch((e: unknown) => e);
      assert.ok(stream instanceof OpenAI.BadRequestError);
      const s = await client.chat.completions.create({
        model: model.id,
        messages: [{ role: "user", content: "x" }],
        stream: true,
      });
      await assert.rejects(async () => {
        for await (const _ of s) {
        }
      }, /CUDA on fire/);
      const ok = await client.chat.completions.create({
        model: model.id,
        messages: [{ role: "user", content: "x" }],
      });
      assert.equal(ok.choices[0].message.content, FOX);
    });
  });

  test("serve() refuses a non-loopback host without an API key, and invalid options", async () => {
    const model = new ScriptedModel();
    await assert.rejects(serve({ model, host: "0.0.0.0", port: 0 }), (e: unknown) => {
      assert.ok(TunebookError.isInstance(e));
      assert.equal((e as Error).name, "TunebookConfigError");
      assert.match((e as Error).message, /apiKey is required/);
      return true;
    });
    await assert.rejects(serve({ model: {} as never, port: 0 }), /expected a ServableModel/);
    await assert.rejects(serve({ model, port: 70000 }), /port/);
  });

  test("serve() on a port in use throws a ListenError naming host:port and the fix", async () => {
    const model = new ScriptedModel();
    const first = await serve({ model, port: 0 });
    try {
      await assert.rejects(serve({ model, port: first.port }), (e: unknown) => {
        assert.ok(e instanceof ListenError, String(e));
        assert.equal(e.code, "EADDRINUSE");
        assert.equal(e.port, first.port);
        assert.match(
          e.message,
          new RegExp(`on 127\\.0\\.0\\.1:${first.port}: port ${first.port} is already in use.*--port`),
        );
        return true;
      });
    } finally {
      await first.close();
    }
  });
});
