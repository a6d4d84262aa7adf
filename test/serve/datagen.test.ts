import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify from "fastify";
import { z } from "zod";
import { DataGenerator, type DatagenProgress } from "../../sdk/datagen";
import { withServer } from "./helpers";
import type { Fault } from "./scripted-model";

const rowSchema = z.object({ question: z.string().min(1), answer: z.string().min(1) });
const examples = [{ question: "What is 1+1?", answer: "2" }];
const fast = { retryBaseDelayMs: 5, retryMaxDelayMs: 50 };

/** The call number the generator wrote into its prompt ("Write one new example (#N)"). */
const callNo = (prompt: string) => Number(/\(#(\d+)\)/.exec(prompt)?.[1] ?? -1);
/** A valid row for call N, varied in presentation: plain, chatty+fenced, or a repeat of the example. */
function rowReply(prompt: string): string {
  const n = callNo(prompt);
  const row = JSON.stringify({ question: `What is ${n}+${n}?`, answer: String(2 * n) });
  if (n % 4 === 1)
    return `Sure! Here is a new example:\n\`\`\`json\n${row}\n\`\`\`\nLet me know if you need more.`;
  if (n % 4 === 2) return JSON.stringify({ question: " what is 1+1? ", answer: "2" }); // duplicate of the example
  return row;
}

describe("datagen end to end against the server (scripted test double)", () => {
  test("generates unique, valid rows through chatty output, malformed output and a model error", async () => {
    const faults = (call: number): Fault | undefined =>
      call === 0
        ? { type: "reply", text: '{"question": "unterminated' }
        : call === 3
          ? { type: "throw" }
          : undefined;
    await withServer({ script: rowReply, faults }, {}, async ({ server, model }) => {
      const gen = new DataGenerator({ baseURL: server.baseURL, model: model.id, concurrency: 3, ...fast });
      const progress: DatagenProgress[] = [];
      const r = await gen.generate({
        instruction: "Write an arithmetic question and its answer.",
        examples,
        schema: rowSchema,
        count: 6,
        onProgress: (p) => progress.push(p),
      });
      assert.deepEqual(r.failures, []);
      assert.equal(r.records.length, 6);
      for (const row of r.records) {
        assert.deepEqual(rowSchema.parse(row), row);
        const n = Number(/What is (\d+)\+/.exec(row.question)?.[1]);
        assert.equal(row.answer, String(2 * n));
      }
      assert.equal(new Set(r.records.map((x) => x.question)).size, 6);
      assert.ok(r.duplicates >= 1, `duplicates ${r.duplicates}`);
      assert.ok(r.retries >= 2, `retries ${r.retries}`); // the malformed reply and the 500
      assert.equal(r.aborted, false);
      assert.equal(progress.at(-1)?.succeeded, 6);
      // JSON mode reached the model as a hint.
      assert.equal(model.calls[0].options.responseFormat, "json_object");
    });
  });

  test("429s from a full queue are retried with backoff; without retries they are listed as failures", async () => {
    const script = rowReply;
    await withServer({ script, tokenDelayMs: 3 }, { maxQueue: 0 }, async ({ server, model }) => {
      const base = { baseURL: server.baseURL, model: model.id, concurrency: 4, ...fast };
      const ok = await new DataGenerator({ ...base, maxRetries: 200 }).generate({
        instruction: "Arithmetic",
        examples,
        schema: rowSchema,
        count: 6,
      });
      assert.equal(ok.records.length, 6);
      assert.deepEqual(ok.failures, []);
      assert.ok(ok.retries > 0);
      const noRetry = await new DataGenerator({ ...base, maxRetries: 0 }).generate({
        instruction: "Arithmetic",
        schema: rowSchema,
        count: 8,
      });
      assert.ok(noRetry.failures.length > 0);
      for (const f of noRetry.failures) {
        assert.equal(f.status, 429);
        assert.equal(f.errorName, "RateLimitError");
      }
      assert.ok(noRetry.records.length > 0, "partial results kept");
    });
  });

  test("a call that times out is cancelled on the server and retried", async () => {
    const faults = (call: number): Fault | undefined =>
      call === 0 ? { type: "delay", ms: 3000 } : undefined;
    await withServer({ script: rowReply, faults }, {}, async ({ server, model }) => {
      const base = { baseURL: server.baseURL, model: model.id, concurrency: 1, timeoutMs: 300, ...fast };
      const r = await new DataGenerator(base).generate({ instruction: "x", schema: rowSchema, count: 2 });
      assert.equal(r.records.length, 2);
      assert.ok(r.retries >= 1);
      assert.equal(model.calls[0].aborted, true);
      assert.equal(model.calls[0].tokensEmitted, 0);
    });
    await withServer({ script: rowReply, faults }, {}, async ({ server, model }) => {
      const base = { baseURL: server.baseURL, model: model.id, timeoutMs: 300, maxRetries: 0 };
      const r = await new DataGenerator(base).generate({
        instruction: "x",
        schema: rowSchema,
        count: 1,
        maxCalls: 1,
      });
      assert.equal(r.records.length, 0);
      assert.equal(r.failures[0].errorName, "APIConnectionTimeoutError");
    });
  });

  test("an abort keeps the rows made so far; an unknown model stops the run early", async () => {
    await withServer({ script: rowReply, tokenDelayMs: 2 }, {}, async ({ server, model }) => {
      const controller = new AbortController();
      const gen = new DataGenerator({ baseURL: server.baseURL, model: model.id, concurrency: 2, ...fast });
      const r = await gen.generate({
        instruction: "x",
        schema: rowSchema,
        count: 50,
        signal: controller.signal,
        onProgress: (p) => p.succeeded >= 3 && controller.abort(),
      });
      assert.equal(r.aborted, true);
      assert.ok(r.records.length >= 3 && r.records.length < 50, `${r.records.length}`);
      assert.deepEqual(r.failures, []);
      const wrong = new DataGenerator({ baseURL: server.baseURL, model: "nope", concurrency: 2, ...fast });
      const w = await wrong.generate({ instruction: "x", schema: rowSchema, count: 20 });
      assert.ok(w.failures.length >= 1 && w.failures.length <= 2, `${w.failures.length}`);
      assert.equal(w.failures[0].status, 404);
      assert.ok(w.calls <= 2);
    });
  });

  test("annotate writes answers in input order and lists records whose output stays unusable", async () => {
    const script = (prompt: string) => {
      const q = /"question":"([^"]*)"/.exec(prompt)?.[1] ?? "";
      return q === "poison" ? "" : `The answer to ${q}.`;
    };
    await withServer({ script }, {}, async ({ server, model }) => {
      const records = ["alpha", "beta", "poison", "gamma", "delta"].map((question, id) => ({ id, question }));
      const gen = new DataGenerator({
        baseURL: server.baseURL,
        model: model.id,
        concurrency: 3,
        maxRetries: 1,
        ...fast,
      });
      const r = await gen.annotate({
        records,
        instruction: "Answer",
        outputColumn: "answer",
        inputColumns: ["question"],
      });
      assert.deepEqual(r.indices, [0, 1, 3, 4]);
      assert.deepEqual(
        r.records,
        records
          .filter((x) => x.question !== "poison")
          .map((x) => ({ ...x, answer: `The answer to ${x.question}.` })),
      );
      assert.equal(r.failures.length, 1);
      assert.equal(r.failures[0].index, 2);
      assert.equal(r.failures[0].attempts, 2);
      assert.deepEqual(r.pending, []);
      assert.equal(model.calls[0].options.responseFormat, "text");
    });
  });

  test("annotate with labels accepts JSON or a bare label and rejects labels outside the set", async () => {
    const script = (prompt: string) => {
      const text = /"text":"([^"]*)"/.exec(prompt)?.[1] ?? "";
      if (text.includes("love")) return '{"label": "positive"}';
      if (text.includes("hate")) return "Negative.";
      return '{"label": "maybe"}';
    };
    await withServer({ script }, {}, async ({ server, model }) => {
      const gen = new DataGenerator({ baseURL: server.baseURL, model: model.id, maxRetries: 1, ...fast });
      const records = [{ text: "I love it" }, { text: "I hate it" }, { text: "It is a chair" }];
      const r = await gen.annotate({
        records,
        instruction: "Sentiment",
        outputColumn: "label",
        labels: ["positive", "negative"],
      });
      assert.deepEqual(r.records, [
        { text: "I love it", label: "positive" },
        { text: "I hate it", label: "negative" },
      ]);
      assert.equal(r.failures[0].index, 2);
      assert.match(r.failures[0].message, /schema mismatch/);
      assert.equal(r.failures[0].lastOutput, '{"label": "maybe"}');
    });
  });

  test("with jsonMode auto, an endpoint refusing response_format is called again without it", async () => {
    const app = Fastify();
    const seen: boolean[] = [];
    app.post("/v1/chat/completions", async (req, reply) => {
      const body = req.body as { response_format?: unknown };
      seen.push(body.response_format !== undefined);
      if (body.response_format) {
        return reply.code(400).send({
          error: {
            message: "response_format is not supported",
            type: "invalid_request_error",
            param: "response_format",
            code: null,
          },
        });
      }
      const content = 'Of course: {"question": "Why?", "answer": "Because."}';
      return {
        id: "x",
        object: "chat.completion",
        created: 0,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      };
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const { port } = app.server.address() as { port: number };
      const gen = new DataGenerator({ baseURL: `http://127.0.0.1:${port}/v1`, model: "m", concurrency: 1 });
      const r = await gen.generate({ instruction: "x", schema: rowSchema, count: 1, maxCalls: 2 });
      assert.deepEqual(r.records, [{ question: "Why?", answer: "Because." }]);
      assert.equal(gen.jsonModeRefused, true);
      assert.deepEqual(seen.slice(0, 2), [true, false]);
      assert.ok(seen.slice(1).every((x) => !x));
    } finally {
      await app.close();
    }
  });

  test("invalid options are a ConfigError naming the field", () => {
    assert.throws(() => new DataGenerator({ baseURL: "not a url", model: "m" }), /baseURL/);
    const gen = new DataGenerator({ baseURL: "http://127.0.0.1:1/v1", model: "m" });
    assert.throws(() => gen.generate({ instruction: "x", schema: rowSchema, count: 0 }), /count/);
    assert.throws(
      () =>
        gen.annotate({
          records: [],
          instruction: "x",
          outputColumn: "y",
          labels: ["a", "b"],
          schema: z.string(),
        }),
      /either schema or labels/,
    );
  });
});
