/**
 * Request edge cases against the real tiny Llama (`assets/tiny-llama`): an empty prompt is completed from
 * the beginning-of-sequence token as OpenAI does (a 400 naming `prompt` for a model without one), and no
 * valid-looking or invalid request gets a 500 or the validator's own wording: invalid ones are 400
 * `invalid_request_error` with `param`.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { Backbone } from "../../sdk/models";
import { type RunningServer, servableBackbone, serve } from "../../sdk/serve";
import { rawRequest } from "./helpers";

const TINY = path.resolve("assets/tiny-llama");
const MODEL = "tiny-llama";
/** zod's own phrases, which must never reach a client. */
const ZOD_WORDING =
  /String must contain|Number must be|Array must contain|Expected \w+, received|Required|Invalid input|Invalid enum value|invalid_type|too_small/;

let backbone: Backbone;
let server: RunningServer;
let client: OpenAI;
let origin: string;

before(async () => {
  backbone = await Backbone.load(TINY);
  server = await serve({ model: servableBackbone({ backbone, id: MODEL }), port: 0 });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "none", maxRetries: 0 });
  origin = server.baseURL.replace(/\/v1$/, "");
});
after(async () => {
  await server?.close();
  await backbone?.dispose();
});

describe("serve: an empty prompt", () => {
  test("is completed from the beginning-of-sequence token, alone or in a list", async () => {
    const bos = backbone.modelDir.tokenizer?.bosTokenId;
    assert.equal(typeof bos, "number");
    const r = await client.completions.create({ model: MODEL, prompt: "", max_tokens: 6, temperature: 0 });
    const [expected] = await backbone.generate({
      inputIds: [[bos as number]],
      maxNewTokens: 6,
      doSample: false,
    });
    assert.equal(r.choices[0].text, expected.text);
    assert.equal(r.usage?.prompt_tokens, 1);
    const list = await client.completions.create({
      model: MODEL,
      prompt: ["", "Once"],
      max_tokens: 3,
      temperature: 0,
    });
    assert.equal(list.choices.length, 2);
    const stream = await client.completions.create({
      model: MODEL,
      prompt: "",
      max_tokens: 6,
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    assert.equal(text, expected.text);
  });

  test("is a 400 naming `prompt` for a model without a beginning-of-sequence token", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-nobos-"));
    cpSync(TINY, dir, { recursive: true });
    const edit = (file: string, drop: string) => {
      const json = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
      delete json[drop];
      writeFileSync(path.join(dir, file), JSON.stringify(json));
    };
    edit("tokenizer_config.json", "bos_token");
    edit("config.json", "bos_token_id");
    const model = await Backbone.load(dir);
    const noBos = await serve({ model: servableBackbone({ backbone: model, id: "nobos" }), port: 0 });
    try {
      const url = `${noBos.baseURL}/completions`;
      const one = await rawRequest(url, { body: JSON.stringify({ model: "nobos", prompt: "" }) });
      assert.equal(one.status, 400, JSON.stringify(one.body));
      assert.equal(one.body.error.type, "invalid_request_error");
      assert.equal(one.body.error.param, "prompt");
      assert.match(one.body.error.message, /prompt is empty.*no beginning-of-sequence token/);
      const list = await rawRequest(url, { body: JSON.stringify({ model: "nobos", prompt: ["a", ""] }) });
      assert.equal(list.body.error.param, "prompt.1");
      const ok = await rawRequest(url, {
        body: JSON.stringify({ model: "nobos", prompt: "a", max_tokens: 2 }),
      });
      assert.equal(ok.status, 200);
    } finally {
      await noBos.close();
      await model.dispose();
    }
  });
});

describe("serve: no request gets a 500 or the validator's wording", () => {
  test("valid edge values are served", async () => {
    const chat = (extra: Record<string, unknown>) => ({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 2,
      ...extra,
    });
    const bodies: [string, Record<string, unknown>][] = [
      ["chat/completions", chat({ stop: [""] })],
      ["chat/completions", chat({ stop: "" })],
      ["chat/completions", chat({ seed: -1, temperature: 1 })],
      ["chat/completions", chat({ seed: Number.MAX_SAFE_INTEGER, temperature: 2 })],
      ["chat/completions", chat({ temperature: 0.7, top_p: 1e-9 })],
      ["chat/completions", chat({ max_tokens: 1, n: 16, temperature: 1 })],
      ["chat/completions", chat({ messages: [{ role: "user", content: "" }] })],
      ["chat/completions", chat({ messages: [{ role: "assistant", content: null }] })],
      ["chat/completions", chat({ messages: [{ role: "user", content: [] }] })],
      [
        "chat/completions",
        chat({
          messages: [
            { role: "developer", content: "x" },
            { role: "tool", content: "y" },
          ],
        }),
      ],
      ["chat/completions", chat({ stream: true, stream_options: { include_usage: true } })],
      ["chat/completions", chat({ response_format: { type: "json_schema", json_schema: {} } })],
      ["chat/completions", chat({ temperature: null, top_p: null, max_tokens: null, stop: null, n: null })],
      ["completions", { model: MODEL, prompt: " ", max_tokens: 1 }],
      ["completions", { model: MODEL, prompt: "\u0000\uFFFD😀", max_tokens: 1 }],
      ["completions", { model: MODEL, prompt: "<|endoftext|>", max_tokens: 1 }],
    ];
    for (const [endpoint, body] of bodies) {
      const r = await rawRequest(`${origin}/v1/${endpoint}`, { body: JSON.stringify(body) });
      assert.equal(r.status, 200, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
    }
  });

  test("invalid values are 400 invalid_request_error naming the field, in OpenAI's words", async () => {
    const chat = (extra: Record<string, unknown>) => ({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
      ...extra,
    });
    const cases: [string, Record<string, unknown>, string | null, RegExp][] = [
      ["completions", { model: MODEL }, "prompt", /Missing required parameter: 'prompt'/],
      ["completions", { model: MODEL, prompt: [] }, "prompt", /expected at least 1 item, but got 0/],
      [
        "completions",
        { model: MODEL, prompt: 5 },
        "prompt",
        /expected a string or an array, but got an integer/,
      ],
      [
        "completions",
        { model: MODEL, prompt: ["a", 1] },
        "prompt.1",
        /expected a string, but got an integer/,
      ],
      ["completions", { model: MODEL, prompt: "x", echo: true }, "echo", /echo is not supported/],
      ["chat/completions", { messages: [] }, "model", /Missing required parameter: 'model'/],
      ["chat/completions", chat({ model: "" }), "model", /expected at least 1 character/],
      ["chat/completions", chat({ model: 3 }), "model", /expected a string, but got an integer/],
      ["chat/completions", chat({ messages: [] }), "messages", /expected at least 1 item, but got 0/],
      ["chat/completions", chat({ messages: "hi" }), "messages", /expected an array, but got a string/],
      [
        "chat/completions",
        chat({ messages: [{ role: "bot", content: "x" }] }),
        "messages.0.role",
        /'bot'.*'user'/,
      ],
      ["chat/completions", chat({ messages: [{ content: "x" }] }), "messages.0.role", /Missing required/],
      [
        "chat/completions",
        chat({ messages: [{ role: "user", content: 7 }] }),
        "messages.0.content",
        /Invalid type/,
      ],
      ["chat/completions", chat({ temperature: 2.5 }), "temperature", /2\.5 is above the maximum of 2/],
      [
        "chat/completions",
        chat({ temperature: "hot" }),
        "temperature",
        /expected a number, but got a string/,
      ],
      ["chat/completions", chat({ top_p: 0 }), "top_p", /0 is not greater than 0/],
      ["chat/completions", chat({ max_tokens: 0 }), "max_tokens", /0 is below the minimum of 1/],
      ["chat/completions", chat({ max_tokens: 1.5 }), "max_tokens", /expected an integer, but got a decimal/],
      ["chat/completions", chat({ n: 17 }), "n", /17 is above the maximum of 16/],
      ["chat/completions", chat({ seed: 0.5 }), "seed", /expected an integer/],
      [
        "chat/completions",
        chat({ stop: ["a", "b", "c", "d", "e"] }),
        "stop",
        /expected at most 4 items, but got 5/,
      ],
      ["chat/completions", chat({ stream: "yes" }), "stream", /expected a boolean, but got a string/],
      ["chat/completions", chat({ logprobs: true }), "logprobs", /logprobs are not supported/],
      ["chat/completions", chat({ response_format: { type: "yaml" } }), "response_format.type", /'yaml'/],
      [
        "chat/completions",
        chat({ stream_options: { include_usage: 1 } }),
        "stream_options.include_usage",
        /boolean/,
      ],
    ];
    for (const [endpoint, body, param, message] of cases) {
      const r = await rawRequest(`${origin}/v1/${endpoint}`, { body: JSON.stringify(body) });
      const what = `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`;
      assert.equal(r.status, 400, what);
      assert.equal(r.body.error.type, "invalid_request_error", what);
      assert.equal(r.body.error.param, param, what);
      assert.match(r.body.error.message, message, what);
      assert.doesNotMatch(r.body.error.message, ZOD_WORDING, what);
    }
  });
});
