import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FOX, withServer } from "./helpers";
import { ScriptedModel, scriptedTokens } from "./scripted-model";

const user = (content: string) => [{ role: "user" as const, content }];
const fox = { script: () => FOX };

describe("serve: the openai client against the scripted test double", () => {
  test("lists the served model", async () => {
    await withServer({ id: "tiny" }, {}, async ({ client }) => {
      const list = await client.models.list();
      assert.deepEqual(
        list.data.map((m) => m.id),
        ["tiny"],
      );
      assert.equal((await client.models.retrieve("tiny")).id, "tiny");
    });
  });

  test("non-streaming chat applies the chat template and reports usage", async () => {
    await withServer(fox, {}, async ({ client, model }) => {
      const r = await client.chat.completions.create({
        model: model.id,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Say the fox line" },
        ],
      });
      assert.equal(r.object, "chat.completion");
      assert.equal(r.choices.length, 1);
      assert.equal(r.choices[0].message.role, "assistant");
      assert.equal(r.choices[0].message.content, FOX);
      assert.equal(r.choices[0].finish_reason, "stop");
      // The prompt the model saw is the chat template's rendering, with the generation prompt.
      assert.equal(model.calls[0].prompt, "<system> Be brief.\n<user> Say the fox line\n<assistant>");
      // Usage counts: 9 words in FOX; the template's prompt has 9 whitespace-led pieces
      // (<system>, Be, brief., \n<user>, Say, the, fox, line, \n<assistant>).
      assert.deepEqual(r.usage, { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 });
    });
  });

  test("max_tokens / max_completion_tokens cut with finish_reason length", async () => {
    await withServer(fox, {}, async ({ client, model }) => {
      const a = await client.chat.completions.create({ model: model.id, messages: user("x"), max_tokens: 3 });
      assert.equal(a.choices[0].message.content, "The quick brown");
      assert.equal(a.choices[0].finish_reason, "length");
      assert.equal(a.usage?.completion_tokens, 3);
      const b = await client.chat.completions.create({
        model: model.id,
        messages: user("x"),
        max_completion_tokens: 2,
      });
      assert.equal(b.choices[0].message.content, "The quick");
      assert.equal(model.calls[1].options.maxTokens, 2);
    });
  });

  test("stop sequences are cut by the server even when the model ignores them, across tokens", async () => {
    await withServer({ ...fox, ignoreStop: true }, {}, async ({ client, model }) => {
      const one = await client.chat.completions.create({ model: model.id, messages: user("x"), stop: "fox" });
      assert.equal(one.choices[0].message.content, "The quick brown ");
      assert.equal(one.choices[0].finish_reason, "stop");
      // "n fo" spans the tokens " brown" and " fox"; the earliest of several stops wins.
      const two = await client.chat.completions.create({
        model: model.id,
        messages: user("x"),
        stop: ["lazy", "n fo"],
        stream: true,
      });
      let text = "";
      let finish: string | null = null;
      for await (const c of two) {
        text += c.choices[0]?.delta.content ?? "";
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(text, "The quick brow");
      assert.equal(finish, "stop");
    });
  });

  test("streaming sends role, deltas, finish, usage and matches the non-streamed text", async () => {
    await withServer({}, {}, async ({ client, model }) => {
      const req = { model: model.id, messages: user("tell me"), seed: 7, temperature: 0.8 };
      const whole = await client.chat.completions.create(req);
      const stream = await client.chat.completions.create({
        ...req,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      assert.equal(chunks[0].choices[0].delta.role, "assistant");
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
      assert.equal(text, whole.choices[0].message.content);
      assert.ok(text.length > 0);
      const last = chunks[chunks.length - 1];
      assert.equal(last.choices.length, 0);
      assert.deepEqual(last.usage, whole.usage);
      assert.equal(chunks[chunks.length - 2].choices[0].finish_reason, whole.choices[0].finish_reason);
      // One delta per token: the number of content chunks equals completion_tokens.
      const deltas = chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "");
      assert.equal(deltas.length, whole.usage?.completion_tokens);
    });
  });

  test("seed gives reproducible output; n gives distinct choices; sampling options reach the model", async () => {
    await withServer({}, {}, async ({ client, model }) => {
      const req = { model: model.id, messages: user("hello"), seed: 42, n: 3, temperature: 0.7, top_p: 0.9 };
      const a = await client.chat.completions.create(req);
      const b = await client.chat.completions.create(req);
      const c = await client.chat.completions.create({ ...req, seed: 43 });
      const texts = (r: typeof a) => r.choices.map((x) => x.message.content);
      assert.deepEqual(
        a.choices.map((x) => x.index),
        [0, 1, 2],
      );
      assert.deepEqual(texts(a), texts(b));
      assert.notDeepEqual(texts(a), texts(c));
      assert.equal(new Set(texts(a)).size, 3);
      assert.deepEqual(
        model.calls.slice(0, 3).map((x) => x.options.seed),
        [42, 43, 44],
      );
      assert.equal(model.calls[0].options.temperature, 0.7);
      assert.equal(model.calls[0].options.topP, 0.9);
      // completion tokens add up over the choices.
      const sum = a.choices.reduce((s, x) => s + scriptedTokens(x.message.content ?? "").length, 0);
      assert.equal(a.usage?.completion_tokens, sum);
    });
  });

  test("streaming n > 1 keeps each choice's deltas under its own index", async () => {
    await withServer({}, {}, async ({ client, model }) => {
      const req = { model: model.id, messages: user("multi"), seed: 5, n: 2 };
      const whole = await client.chat.completions.create(req);
      const texts = ["", ""];
      for await (const c of await client.chat.completions.create({ ...req, stream: true })) {
        for (const ch of c.choices) texts[ch.index] += ch.delta.content ?? "";
      }
      assert.deepEqual(
        texts,
        whole.choices.map((x) => x.message.content),
      );
    });
  });

  test("response_format json_object is accepted and passed to the model as a hint", async () => {
    const script = (_p: string, _c: number, o: { responseFormat: string }) =>
      o.responseFormat === "json_object" ? '{"ok": true}' : "plain";
    await withServer({ script }, {}, async ({ client, model }) => {
      const r = await client.chat.completions.create({
        model: model.id,
        messages: user("json please"),
        response_format: { type: "json_object" },
      });
      assert.deepEqual(JSON.parse(r.choices[0].message.content ?? ""), { ok: true });
      const t = await client.chat.completions.create({ model: model.id, messages: user("text") });
      assert.equal(t.choices[0].message.content, "plain");
    });
  });

  test("/v1/completions: raw prompts, no template, list of prompts × n, streaming", async () => {
    const script = (p: string) => ` after ${p}`;
    await withServer({ script }, {}, async ({ client, model }) => {
      const r = await client.completions.create({
        model: model.id,
        prompt: ["one", "two"],
        n: 2,
        max_tokens: 5,
      });
      assert.equal(r.object, "text_completion");
      assert.deepEqual(
        r.choices.map((c) => [c.index, c.text]),
        [
          [0, " after one"],
          [1, " after one"],
          [2, " after two"],
          [3, " after two"],
        ],
      );
      assert.equal(model.calls[0].prompt, "one");
      assert.deepEqual(r.usage, { prompt_tokens: 2, completion_tokens: 8, total_tokens: 10 });
      // Default max_tokens is 16, as in the OpenAI API.
      assert.equal(model.calls[0].options.maxTokens, 5);
      await client.completions.create({ model: model.id, prompt: "p" });
      assert.equal(model.calls[4].options.maxTokens, 16);
      let streamed = "";
      for await (const c of await client.completions.create({
        model: model.id,
        prompt: "three",
        stream: true,
      })) {
        streamed += c.choices[0]?.text ?? "";
      }
      assert.equal(streamed, " after three");
    });
  });

  test("the double's seeded replies are what the server returns (no corruption on the way)", async () => {
    await withServer({}, {}, async ({ client, model }) => {
      const r = await client.chat.completions.create({ model: model.id, messages: user("q"), seed: 9 });
      const reference = new ScriptedModel().replyFor(model.calls[0].prompt, 0, {
        ...model.calls[0].options,
        signal: new AbortController().signal,
      });
      assert.equal(r.choices[0].message.content, reference);
    });
  });
});
