import assert from "node:assert/strict";
import { test } from "node:test";
import { runLoad } from "../../bench/serve/run-load";
import { withServer } from "./helpers";
import { ScriptedModel } from "./scripted-model";

test("load: 32 concurrent streaming clients all complete, well-formed and uncorrupted", async () => {
  const modelOptions = { tokenDelayMs: 1, replyWords: [8, 16] as [number, number], contextLength: 1024 };
  await withServer(modelOptions, {}, async ({ server, model }) => {
    const report = await runLoad({
      baseURL: server.baseURL,
      model: model.id,
      clients: 32,
      requestsPerClient: 2,
    });
    assert.equal(report.requests, 64);
    assert.equal(report.malformed, 0, JSON.stringify(report.samples.find((s) => s.problems.length)));
    // Each stream carries exactly the text the double produces for its own prompt and seed: no interleaving.
    const reference = new ScriptedModel(modelOptions);
    for (const s of report.samples) {
      const prompt = reference.applyChatTemplate([{ role: "user", content: s.prompt }], {
        addGenerationPrompt: true,
      });
      const expected = reference.replyFor(prompt, 0, {
        maxTokens: 32,
        temperature: 1,
        topP: 1,
        stop: [],
        seed: s.seed,
        responseFormat: "text",
        signal: new AbortController().signal,
      });
      assert.equal(s.text, expected, `client ${s.client} request ${s.request}`);
    }
    assert.equal(model.maxActive, 1);
    assert.deepEqual(server.load(), { active: 0, waiting: 0 });
    const { samples: _, ...summary } = report;
    console.log(`serve load: ${JSON.stringify(summary)}`);
    assert.ok(report.p95Ms >= report.p50Ms);
  });
});
