/**
 * End to end: `servableBackbone` over a tiny Qwen3 checkpoint, served on loopback by `serve()`, called with the
 * real `openai` client — chat (streamed and not), completions, usage counts equal to the tokenizer's, stop
 * sequences, seeded sampling, greedy equal to `backbone.generate`, a prompt over the context → 400; and
 * `serveCommand` serving a model directory until its signal fires.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { Backbone } from "../../sdk/models";
import { type RunningServer, servableBackbone, serve } from "../../sdk/serve";
import { serveCommand } from "../../sdk/serve/serve-command";
import { makeTinyCheckpoint } from "../reference";

let dir: string;
let backbone: Backbone;
let server: RunningServer;
let client: OpenAI;
const MODEL = "tiny-qwen3";
const messages = [{ role: "user" as const, content: "Tell me a story" }];

before(async () => {
  dir = await makeTinyCheckpoint({ arch: "qwen3", seed: 31 });
  backbone = await Backbone.load(dir);
  server = await serve({ model: servableBackbone({ backbone, id: MODEL }), port: 0 });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "none", maxRetries: 0 });
});
after(async () => {
  await server?.close();
  await backbone?.dispose();
});

function promptIds(): number[] {
  const tok = backbone.modelDir.tokenizer!;
  return tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt: true }), {
    addSpecialTokens: false,
  });
}

test("chat completion: greedy text equals backbone.generate, usage counts are the tokenizer's", async () => {
  const r = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 8, temperature: 0 });
  const [expected] = await backbone.generate({ inputIds: [promptIds()], maxNewTokens: 8, doSample: false });
  assert.equal(r.choices[0].message.content, expected.text);
  assert.equal(r.usage?.prompt_tokens, promptIds().length);
  assert.equal(r.usage?.completion_tokens, expected.tokenIds.length);
  assert.equal(r.choices[0].finish_reason, expected.finishReason === "length" ? "length" : "stop");
});

test("streamed chat equals the non-streamed text", async () => {
  const full = await client.chat.completions.create({
    model: MODEL,
    messages,
    max_tokens: 10,
    temperature: 0,
  });
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages,
    max_tokens: 10,
    temperature: 0,
    stream: true,
  });
  let text = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, full.choices[0].message.content);
  assert.equal(finish, full.choices[0].finish_reason);
});

test("completions, stop sequences and seeded sampling", async () => {
  const prompt = "Once upon a time";
  const plain = await client.completions.create({ model: MODEL, prompt, max_tokens: 12, temperature: 0 });
  const text = plain.choices[0].text;
  assert.equal(plain.usage?.prompt_tokens, backbone.modelDir.tokenizer!.encode(prompt).length);
  assert.ok(text.length >= 5, `too little text: ${JSON.stringify(text)}`);
  const stop = text.slice(2, 4);
  const cut = await client.completions.create({
    model: MODEL,
    prompt,
    max_tokens: 12,
    temperature: 0,
    stop: [stop],
  });
  assert.equal(cut.choices[0].text, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, "stop");
  const sampled = (seed: number) =>
    client.chat.completions.create({ model: MODEL, messages, max_tokens: 10, temperature: 1.3, seed });
  const [a, b, c] = await Promise.all([sampled(7), sampled(7), sampled(8)]);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  assert.notEqual(a.choices[0].message.content, c.choices[0].message.content);
});

test("an end-of-sequence token that is also the max_tokens-th token finishes with stop, and counts", async () => {
  // A copy of the checkpoint whose generation_config names the k-th greedy token as an end-of-sequence id.
  const [greedy] = await backbone.generate({ inputIds: [promptIds()], maxNewTokens: 8, doSample: false });
  const ids = greedy.tokenIds;
  const k = ids.findIndex((t, i) => i >= 2 && !ids.slice(0, i).includes(t)) + 1;
  assert.ok(k >= 3, `no fresh token among ${ids}`);
  const copy = mkdtempSync(path.join(os.tmpdir(), "tunebook-eos-"));
  cpSync(dir, copy, { recursive: true });
  const file = path.join(copy, "generation_config.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, JSON.stringify({ ...config, eos_token_id: [ids[k - 1]] }));
  const model = await Backbone.load(copy);
  const eosServer = await serve({ model: servableBackbone({ backbone: model, id: "eos" }), port: 0 });
  try {
    const c = new OpenAI({ baseURL: eosServer.baseURL, apiKey: "none", maxRetries: 0 });
    const ask = (max_tokens: number) =>
      c.chat.completions.create({ model: "eos", messages, max_tokens, temperature: 0 });
    const atLimit = await ask(k);
    assert.equal(atLimit.choices[0].finish_reason, "stop");
    assert.equal(atLimit.usage?.completion_tokens, k, "the end-of-sequence token counts, as in vLLM");
    assert.equal((await ask(k + 4)).choices[0].message.content, atLimit.choices[0].message.content);
    assert.equal((await ask(k - 1)).choices[0].finish_reason, "length");
    const stream = await c.chat.completions.create({
      model: "eos",
      messages,
      max_tokens: k,
      temperature: 0,
      stream: true,
    });
    let finish: string | null = null;
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
    assert.equal(finish, "stop");
  } finally {
    await eosServer.close();
    await model.dispose();
  }
});

test("a prompt over the context length is a 400 context_length_exceeded", async () => {
  const limit = Number(backbone.modelDir.config.max_position_embeddings);
  const long = "a b ".repeat(limit);
  await assert.rejects(
    client.completions.create({ model: MODEL, prompt: long, max_tokens: 4 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === "context_length_exceeded",
  );
});

test("serveCommand serves a model directory until its signal fires", async () => {
  const stop = new AbortController();
  let url = "";
  const done = serveCommand({
    model: dir,
    port: 0,
    signal: stop.signal,
    id: "cmd",
    onReady: (s) => {
      url = s.baseURL;
    },
  });
  for (let i = 0; i < 200 && !url; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(url, "server did not start");
  const c = new OpenAI({ baseURL: url, apiKey: "none", maxRetries: 0 });
  assert.deepEqual(
    (await c.models.list()).data.map((m) => m.id),
    ["cmd"],
  );
  const r = await c.chat.completions.create({ model: "cmd", messages, max_tokens: 3, temperature: 0 });
  assert.ok((r.usage?.completion_tokens ?? 0) > 0);
  stop.abort();
  await done;
  await assert.rejects(fetch(`${url}/models`));
});
