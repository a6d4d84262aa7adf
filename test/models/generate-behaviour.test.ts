/**
 * Generation behaviour on a tiny Llama checkpoint: seeded sampling is reproducible, top-k = 1 equals greedy,
 * stop strings cut the text (also when streamed), stop ids end one row of a batch while the other goes on
 * unchanged, min new tokens suppresses end ids, abort stops between steps, chat prompts go through the chat
 * template, streamed text equals the decode of the tokens, and a prompt over the context fails saying by how much.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Backbone, type GenerationChunk, PromptTooLongError } from "../../sdk/models";
import { makeTinyCheckpoint } from "../reference";

let backbone: Backbone;
before(async () => {
  backbone = await Backbone.load(await makeTinyCheckpoint({ arch: "llama", seed: 21 }));
});
after(async () => {
  await backbone?.dispose();
});

const PROMPT = "The quick brown fox";

test("sampling is reproducible by seed; top-k 1 equals greedy", async () => {
  const sample = (seed: number) =>
    backbone.generate({ prompt: PROMPT, maxNewTokens: 12, doSample: true, temperature: 1.5, topK: 0, seed });
  const [a] = await sample(1);
  const [b] = await sample(1);
  const [c] = await sample(2);
  assert.deepEqual(a.tokenIds, b.tokenIds);
  assert.equal(a.text, b.text);
  assert.notDeepEqual(a.tokenIds, c.tokenIds, "another seed should give other tokens");
  const [greedy] = await backbone.generate({ prompt: PROMPT, maxNewTokens: 12, doSample: false });
  const [topOne] = await backbone.generate({
    prompt: PROMPT,
    maxNewTokens: 12,
    doSample: true,
    topK: 1,
    seed: 9,
  });
  assert.deepEqual(topOne.tokenIds, greedy.tokenIds);
  assert.notDeepEqual(a.tokenIds, greedy.tokenIds);
});

test("stop strings cut the text before the stop string, streamed or not", async () => {
  const [full] = await backbone.generate({ prompt: PROMPT, maxNewTokens: 16, doSample: false });
  assert.ok(full.text.length >= 6, `too little text to cut: ${JSON.stringify(full.text)}`);
  const stop = full.text.slice(3, 5);
  const at = full.text.indexOf(stop);
  const [cut] = await backbone.generate({
    prompt: PROMPT,
    maxNewTokens: 16,
    stopStrings: [stop],
    doSample: false,
  });
  assert.equal(cut.text, full.text.slice(0, at));
  assert.equal(cut.finishReason, "stop");
  assert.ok(cut.tokenIds.length < full.tokenIds.length);
  let streamed = "";
  for await (const c of backbone.stream({
    prompt: PROMPT,
    maxNewTokens: 16,
    stopStrings: [stop],
    doSample: false,
  }))
    streamed += c.text;
  assert.equal(streamed, cut.text);
});

test("a stop id ends one row of a batch; the other row is unaffected; min new tokens suppresses it", async () => {
  const prompts = [PROMPT, "Hello"];
  const free = await backbone.generate({ prompt: prompts, maxNewTokens: 10, doSample: false });
  const stopId = free[0].tokenIds[2];
  const firstAt = free[0].tokenIds.indexOf(stopId);
  const stopped = await backbone.generate({
    prompt: prompts,
    maxNewTokens: 10,
    doSample: false,
    stopTokenIds: [stopId],
  });
  assert.deepEqual(stopped[0].tokenIds, free[0].tokenIds.slice(0, firstAt + 1));
  assert.equal(stopped[0].finishReason, "stop");
  if (!free[1].tokenIds.includes(stopId)) {
    assert.deepEqual(stopped[1].tokenIds, free[1].tokenIds);
    assert.equal(stopped[1].finishReason, "length");
  }
  const min = 6;
  const [held] = await backbone.generate({
    prompt: PROMPT,
    maxNewTokens: 10,
    doSample: false,
    stopTokenIds: [stopId],
    minNewTokens: min,
  });
  assert.ok(!held.tokenIds.slice(0, min).includes(stopId), "stop id generated before minNewTokens");
  assert.ok(held.tokenIds.length >= min);
  assert.deepEqual(held.tokenIds.slice(0, firstAt), free[0].tokenIds.slice(0, firstAt));
});

test("streamed chunks are one per token and their text equals the decode of the tokens", async () => {
  const chunks: GenerationChunk[] = [];
  for await (const c of backbone.stream({
    prompt: ["é日本 ", "ok"],
    maxNewTokens: 12,
    doSample: true,
    seed: 5,
  }))
    chunks.push(c);
  const tok = backbone.modelDir.tokenizer!;
  for (const row of [0, 1]) {
    const mine = chunks.filter((c) => c.row === row);
    assert.equal(mine.length, 12);
    assert.equal(mine.at(-1)?.finishReason, "length");
    const ids = mine.map((c) => c.token);
    assert.equal(mine.map((c) => c.text).join(""), tok.decode(ids, { skipSpecialTokens: true }));
  }
});

test("chat messages go through the chat template", async () => {
  const messages = [{ role: "user", content: "Hi there" }];
  const tok = backbone.modelDir.tokenizer!;
  const ids = tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt: true }), {
    addSpecialTokens: false,
  });
  const [chat] = await backbone.generate({ messages, maxNewTokens: 6, doSample: false });
  const [raw] = await backbone.generate({ inputIds: [ids], maxNewTokens: 6, doSample: false });
  assert.equal(chat.promptTokens, ids.length);
  assert.deepEqual(chat.tokenIds, raw.tokenIds);
});

test("abort stops between steps", async () => {
  const controller = new AbortController();
  let count = 0;
  for await (const _ of backbone.stream({ prompt: PROMPT, maxNewTokens: 50, signal: controller.signal })) {
    count++;
    if (count === 3) controller.abort();
  }
  assert.equal(count, 3);
  const [r] = await backbone.generate({ prompt: PROMPT, maxNewTokens: 5, signal: AbortSignal.abort() });
  assert.equal(r.finishReason, "abort");
  assert.equal(r.tokenIds.length, 0);
});

test("a prompt longer than the context fails saying by how much", async () => {
  const n = backbone.modelDir.tokenizer!.encode(PROMPT).length;
  await assert.rejects(
    backbone.generate({ prompt: PROMPT, contextLength: n - 3 }),
    (e: unknown) => e instanceof PromptTooLongError && e.excess === 4 && /4 too many/.test(e.message),
  );
  const [r] = await backbone.generate({
    prompt: PROMPT,
    contextLength: n + 2,
    maxNewTokens: 10,
    doSample: false,
  });
  assert.equal(r.tokenIds.length, 2, "generation stops when the context is full");
  assert.equal(r.finishReason, "length");
});
