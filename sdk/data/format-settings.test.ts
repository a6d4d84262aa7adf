// H2O LLM Studio's tokenizer settings, checked token by token: the expected ids are built from the spec (which
// text pieces, which EOS, which end of a part is cut) with the same real byte-level BPE tokenizer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeTokenizer } from "../../test/data/fixtures/test-tokenizer";
import type { Example } from "./examples";
import { type FormatOptionsInput, parseFormatOptions } from "./format-options";
import { tokenizeExamples } from "./tokenize-examples";

const tok = makeTokenizer();
const chatTok = makeTokenizer({ chat: true });
const enc = (text: string) => tok.encode(text, { addSpecialTokens: false });
const BOS = tok.idOf("<s>");
const EOS = tok.idOf("<|endoftext|>");
const conversation: Example = {
  kind: "chat",
  row: 1,
  messages: [
    { role: "system", content: "Answer in one word, please." },
    { role: "user", content: "the capital of Texas?" },
    { role: "assistant", content: "Austin, in the heart of the state" },
    { role: "user", content: "and of Ohio, the state north of there?" },
    { role: "assistant", content: "Columbus" },
  ],
};
const run = (options: FormatOptionsInput, example = conversation, t = tok) => {
  const [ex] = tokenizeExamples([example], t, parseFormatOptions(options));
  return { ids: [...ex.ids], target: [...ex.target] };
};
/** Concatenates [ids, trained] parts into the expected ids and targets. */
const expected = (...parts: [number[], boolean][]) => ({
  ids: parts.flatMap(([ids]) => ids),
  target: parts.flatMap(([ids, train]) => ids.map(() => (train ? 1 : 0))),
});
const system = enc("<|system|>Answer in one word, please.");
const prompt1 = enc("<|prompt|>the capital of Texas?");
const prompt2 = enc("<|prompt|>and of Ohio, the state north of there?");
const answerMarker = enc("<|answer|>");
const answer1 = enc("Austin, in the heart of the state");
const answer2 = enc("Columbus");

test("addEosToSystem / addEosToPrompt: EOS ends the system prompt and each prompt, before the answer marker", () => {
  const layout = (eosSystem: boolean, eosPrompt: boolean) =>
    expected(
      [[BOS], false],
      [[...system, ...(eosSystem ? [EOS] : [])], false],
      [[...prompt1, ...(eosPrompt ? [EOS] : []), ...answerMarker], false],
      [[...answer1, EOS], true],
      [[...prompt2, ...(eosPrompt ? [EOS] : []), ...answerMarker], false],
      [[...answer2, EOS], true],
    );
  assert.deepEqual(run({}), layout(true, true)); // H2O's defaults: both true
  assert.deepEqual(run({ addEosToSystem: false }), layout(false, true));
  assert.deepEqual(run({ addEosToPrompt: false }), layout(true, false));
  assert.deepEqual(run({ addEosToSystem: false, addEosToPrompt: false }), layout(false, false));
});

test("the chat template places its own special tokens: the EOS settings do not change it", () => {
  const a = run({}, conversation, chatTok);
  const b = run({ addEosToSystem: false, addEosToPrompt: false }, conversation, chatTok);
  assert.deepEqual(a, b);
  const rendered = chatTok.applyChatTemplate!(conversation.messages, { addGenerationPrompt: false });
  assert.deepEqual(a.ids, chatTok.encode(rendered, { addSpecialTokens: false }));
});

test("maxLengthPrompt keeps each prompt's last tokens and the system prompt's first; answers are untouched", () => {
  const n = 6;
  assert.ok(prompt1.length + 2 > n && prompt2.length + 2 > n && system.length + 1 > n);
  const last = (xs: number[]) => xs.slice(xs.length - n);
  assert.deepEqual(
    run({ maxLengthPrompt: n }),
    expected(
      [[BOS], false],
      [[...system, EOS].slice(0, n), false],
      [last([...prompt1, EOS, ...answerMarker]), false],
      [[...answer1, EOS], true],
      [last([...prompt2, EOS, ...answerMarker]), false],
      [[...answer2, EOS], true],
    ),
  );
  // A limit longer than every prompt changes nothing.
  assert.deepEqual(run({ maxLengthPrompt: 1000 }), run({}));
});

test("maxLengthAnswer keeps each answer's first tokens (a cut answer loses its EOS)", () => {
  const n = answer2.length + 1;
  assert.ok(answer1.length + 1 > n);
  assert.deepEqual(
    run({ maxLengthAnswer: n }),
    expected(
      [[BOS], false],
      [[...system, EOS], false],
      [[...prompt1, EOS, ...answerMarker], false],
      [answer1.slice(0, n), true],
      [[...prompt2, EOS, ...answerMarker], false],
      [[...answer2, EOS], true],
    ),
  );
});

test("the per-part limits apply before maxLength, which then cuts the prompt from the left", () => {
  const limited = run({ maxLengthPrompt: 6, maxLengthAnswer: 4 });
  const both = run({ maxLengthPrompt: 6, maxLengthAnswer: 4, maxLength: 16 });
  assert.ok(limited.ids.length > 16);
  assert.deepEqual(both, { ids: limited.ids.slice(-16), target: limited.target.slice(-16) });
});

test("the limits cut the chat template's prompt and answer parts too", () => {
  const full = run({}, conversation, chatTok);
  const cut = run({ maxLengthPrompt: 5, maxLengthAnswer: 3 }, conversation, chatTok);
  const chatEnc = (s: string) => chatTok.encode(s, { addSpecialTokens: false });
  const render = (k: number, gen: boolean) =>
    chatTok.applyChatTemplate!(conversation.messages.slice(0, k), { addGenerationPrompt: gen });
  const p1 = chatEnc(render(2, true));
  const a1 = chatEnc(render(3, false).slice(render(2, true).length));
  const p2 = chatEnc(render(4, true).slice(render(3, false).length));
  const a2 = chatEnc(render(5, false).slice(render(4, true).length));
  assert.deepEqual(full.ids, [...p1, ...a1, ...p2, ...a2]);
  assert.deepEqual(
    cut,
    expected([p1.slice(-5), false], [a1.slice(0, 3), true], [p2.slice(-5), false], [a2.slice(0, 3), true]),
  );
});

test("a tokenizer without EOS is refused only for the EOS settings that ask for one", () => {
  const noEos = { ...tok, eosTokenId: undefined };
  const off = { addEos: false, addEosToSystem: false, addEosToPrompt: false } as const;
  assert.doesNotThrow(() => run(off, conversation, noEos));
  assert.throws(() => run({ ...off, addEosToPrompt: true }, conversation, noEos), /addEosToPrompt: false/);
  assert.throws(() => run({ ...off, addEosToSystem: true }, conversation, noEos), /addEosToSystem: false/);
  assert.throws(() => parseFormatOptions({ maxLengthPrompt: 0 }), /maxLengthPrompt/);
});
