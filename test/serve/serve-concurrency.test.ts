import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { serve } from "../../sdk/serve";
import { FOX, rawRequest, withServer } from "./helpers";
import { ScriptedModel, scriptedTokens } from "./scripted-model";

const ask = (content: string) => ({
  model: "scripted-test-double",
  messages: [{ role: "user" as const, content }],
});

describe("serve: queueing, cancellation and shutdown", () => {
  test("concurrent requests run one generation at a time and never interleave", async () => {
    const script = (p: string) => ` reply to ${p.split(" ")[1]} ${"word ".repeat(6).trim()}`;
    await withServer({ script, tokenDelayMs: 2 }, {}, async ({ client, model }) => {
      const ids = ["a", "b", "c", "d", "e", "f"];
      const results = await Promise.all(
        ids.map(async (id) => {
          let text = "";
          for await (const c of await client.chat.completions.create({ ...ask(id), stream: true })) {
            text += c.choices[0]?.delta.content ?? "";
          }
          return text;
        }),
      );
      assert.deepEqual(
        results,
        ids.map((id) => ` reply to ${id}\n<assistant> word word word word word word`),
      );
      assert.equal(model.maxActive, 1);
    });
  });

  test("a full queue answers 429 rate_limit_exceeded", async () => {
    await withServer({ script: () => FOX, tokenDelayMs: 60 }, { maxQueue: 1 }, async ({ origin }) => {
      const body = JSON.stringify(ask("x"));
      const url = `${origin}/v1/chat/completions`;
      const statuses = await Promise.all([0, 1, 2, 3].map(() => rawRequest(url, { body })));
      const codes = statuses.map((s) => s.status).sort();
      assert.deepEqual(codes, [200, 200, 429, 429]);
      const refused = statuses.find((s) => s.status === 429)!;
      assert.equal(refused.body.error.code, "rate_limit_exceeded");
      assert.equal(refused.body.error.type, "rate_limit_error");
    });
  });

  test("a client that disconnects cancels its generation (streaming and not)", async () => {
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    await withServer({ script: () => long, tokenDelayMs: 5 }, {}, async ({ client, model, server }) => {
      const stream = await client.chat.completions.create({ ...ask("s"), stream: true });
      let seen = 0;
      for await (const _ of stream) {
        if (++seen === 3) break; // leaving the loop aborts the HTTP request
      }
      assert.equal(seen, 3);
      const plain = new AbortController();
      const pending = client.chat.completions.create(ask("p"), { signal: plain.signal });
      await delay(60);
      plain.abort();
      await assert.rejects(pending);
      // Both generations end well before their 200 tokens.
      for (let i = 0; i < 100 && (model.calls.length < 2 || server.load().active > 0); i++) await delay(10);
      assert.equal(model.calls.length, 2);
      for (const call of model.calls) {
        assert.ok(call.aborted, "generation saw the abort");
        assert.ok(call.tokensEmitted < 100, `stopped early (${call.tokensEmitted} tokens)`);
      }
      assert.deepEqual(server.load(), { active: 0, waiting: 0 });
      // A request queued behind a cancelled one is served.
      const after = await client.completions.create({ model: model.id, prompt: "x", max_tokens: 2 });
      assert.equal(after.choices[0].text, "w0 w1");
    });
  });

  test("close() drains running and queued requests, then refuses new connections", async () => {
    const model = new ScriptedModel({ script: () => FOX, tokenDelayMs: 10 });
    const server = await serve({ model, port: 0 });
    const url = `${server.baseURL}/chat/completions`;
    const body = JSON.stringify(ask("x"));
    const inFlight = [rawRequest(url, { body }), rawRequest(url, { body })];
    // Close once both requests have arrived (one generating, one queued), however loaded the machine is.
    for (let i = 0; i < 400; i++) {
      const { active, waiting } = server.load();
      if (active + waiting === 2) break;
      await delay(10);
    }
    await server.close();
    const done = await Promise.all(inFlight);
    for (const r of done) {
      assert.equal(r.status, 200);
      assert.equal((r.body.choices as { message: { content: string } }[])[0].message.content, FOX);
    }
    assert.equal(model.calls.filter((c) => c.finished).length, 2);
    await assert.rejects(rawRequest(url, { body }));
    assert.equal(scriptedTokens(FOX).length, 9);
  });
});
