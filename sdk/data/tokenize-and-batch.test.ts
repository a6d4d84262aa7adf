import assert from "node:assert/strict";
import { test } from "node:test";
import { makeTokenizer } from "../../test/data/fixtures/test-tokenizer";
import { type Batch, IGNORE_INDEX } from "./batch";
import type { DatasetWarning } from "./dataset-warning";
import type { Example } from "./examples";
import { parseFormatOptions } from "./format-options";
import { type TokenizedExample, tokenizeExamples } from "./tokenize-examples";
import { TokenizedDataset } from "./tokenized-dataset";

const tok = makeTokenizer();
const chatTok = makeTokenizer({ chat: true });
const targetsText = (t: typeof tok, ex: TokenizedExample) =>
  t.decode([...ex.ids].filter((_, i) => ex.target[i] === 1));
const multiTurn: Example = {
  kind: "chat",
  row: 7,
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "4" },
    { role: "user", content: "times 3?" },
    { role: "assistant", content: "12, über 🙂" },
  ],
};

test("markers format: the text is the H2O-style layout and only answers + EOS are targets", () => {
  const [ex] = tokenizeExamples([multiTurn], tok, parseFormatOptions());
  // H2O LLM Studio's defaults: EOS after the system prompt, after each prompt and after each answer.
  assert.equal(
    tok.decode([...ex.ids]),
    "<s><|system|>Be brief.<|endoftext|><|prompt|>2+2?<|endoftext|><|answer|>4<|endoftext|><|prompt|>times 3?<|endoftext|><|answer|>12, über 🙂<|endoftext|>",
  );
  assert.equal(targetsText(tok, ex), "4<|endoftext|>12, über 🙂<|endoftext|>");
  const [last] = tokenizeExamples([multiTurn], tok, parseFormatOptions({ onlyLastAnswer: true }));
  assert.equal(targetsText(tok, last), "12, über 🙂<|endoftext|>");
  const [all] = tokenizeExamples([multiTurn], tok, parseFormatOptions({ maskPrompt: false }));
  assert.ok(all.target.every((t) => t === 1));
});

test("chat template: ids are the rendered conversation, targets are each assistant turn", () => {
  const [ex] = tokenizeExamples([multiTurn], chatTok, parseFormatOptions());
  assert.equal(
    chatTok.decode([...ex.ids]),
    chatTok.applyChatTemplate!(multiTurn.messages, { addGenerationPrompt: false }),
  );
  assert.equal(targetsText(chatTok, ex), "4<|im_end|>\n12, über 🙂<|im_end|>\n");
  const [markers] = tokenizeExamples([multiTurn], chatTok, parseFormatOptions({ template: "markers" }));
  assert.match(chatTok.decode([...markers.ids]), /^<\|system\|>Be brief\./);
  assert.throws(
    () => tokenizeExamples([multiTurn], tok, parseFormatOptions({ template: "chat" })),
    /chat template/,
  );
});

test("truncation keeps the answer and cuts the prompt from the left; raw text is chunked", () => {
  const warnings: DatasetWarning[] = [];
  const long: Example = {
    kind: "chat",
    row: 3,
    messages: [
      { role: "user", content: "one two three four five six seven eight nine ten" },
      { role: "assistant", content: "done" },
    ],
  };
  const [full] = tokenizeExamples([long], tok, parseFormatOptions());
  const [cut] = tokenizeExamples([long], tok, parseFormatOptions({ maxLength: 20 }), (w) => warnings.push(w));
  assert.equal(cut.ids.length, 20);
  assert.deepEqual([...cut.ids], [...full.ids].slice(-20));
  assert.equal(targetsText(tok, cut), "done<|endoftext|>");
  assert.deepEqual(
    warnings.map((w) => [w.code, w.count, w.rows]),
    [["truncated", 1, [3]]],
  );
  const text: Example = {
    kind: "text",
    row: 1,
    text: "Call me Ishmael. Some years ago—never mind how long precisely",
  };
  const [whole] = tokenizeExamples([text], tok, parseFormatOptions());
  const chunks = tokenizeExamples([text], tok, parseFormatOptions({ maxLength: 16 }));
  assert.deepEqual(
    chunks.flatMap((c) => [...c.ids]),
    [...whole.ids],
  );
  assert.ok(chunks.every((c) => c.ids.length <= 16));
});

function examples(n: number): TokenizedExample[] {
  return Array.from({ length: n }, (_, i) => ({
    ids: Int32Array.from({ length: 3 + (i % 5) }, (_, k) => 1000 * (i + 1) + k),
    target: Uint8Array.from({ length: 3 + (i % 5) }, (_, k) => (k >= 2 ? 1 : 0)),
    row: i + 1,
  }));
}
const at = (a: BigInt64Array, b: number, t: number, T: number) => Number(a[b * T + t]);

test("batch contract: labels[b,t] is token t+1 when it is a target, -100 elsewhere; right padding", () => {
  const data = new TokenizedDataset({ examples: examples(10), maxLength: 16, padTokenId: 7 });
  const batches = [...data.batches({ batchSize: 4, shuffle: false })];
  assert.deepEqual(
    batches.map((b) => b.batchSize),
    [4, 4, 2],
  );
  for (const batch of batches) {
    const T = batch.seqLen;
    let targets = 0;
    batch.rows.forEach(([row], b) => {
      const ex = data.examples[row - 1];
      assert.equal(T >= ex.ids.length, true);
      for (let t = 0; t < T; t++) {
        const real = t < ex.ids.length;
        assert.equal(at(batch.inputIds, b, t, T), real ? ex.ids[t] : 7);
        assert.equal(at(batch.attentionMask, b, t, T), real ? 1 : 0);
        // Hugging Face's shift: labels[..., 1:] against logits[..., :-1].
        const want = t + 1 < ex.ids.length && ex.target[t + 1] ? ex.ids[t + 1] : IGNORE_INDEX;
        assert.equal(at(batch.labels, b, t, T), want);
        if (want !== IGNORE_INDEX) targets++;
        if (real) assert.equal(at(batch.positionIds, b, t, T), t);
      }
    });
    assert.equal(batch.numTargetTokens, targets);
    assert.equal(batch.seqLen, Math.max(...batch.rows.map(([r]) => data.examples[r - 1].ids.length)));
  }
});

test("seeded shuffle: same seed same order, each epoch a permutation, resume yields the same tail", () => {
  const data = new TokenizedDataset({ examples: examples(23), maxLength: 16, padTokenId: 0 });
  const order = (bs: Iterable<Batch>) => [...bs].flatMap((b) => b.rows.flat());
  const e1 = order(data.batches({ batchSize: 5, seed: 3, epoch: 1 }));
  assert.deepEqual(order(data.batches({ batchSize: 5, seed: 3, epoch: 1 })), e1);
  assert.deepEqual(
    [...e1].sort((a, b) => a - b),
    Array.from({ length: 23 }, (_, i) => i + 1),
  );
  assert.notDeepEqual(order(data.batches({ batchSize: 5, seed: 3, epoch: 2 })), e1);
  assert.notDeepEqual(order(data.batches({ batchSize: 5, seed: 4, epoch: 1 })), e1);
  const full = [...data.batches({ batchSize: 5, seed: 3, epoch: 1 })];
  const resumed = [...data.batches({ batchSize: 5, seed: 3, epoch: 1, startBatch: 2 })];
  assert.deepEqual(resumed, full.slice(2));
  assert.equal(data.batches({ batchSize: 5, dropLast: true }).numBatches, 4);
  assert.throws(() => data.batches({ batchSize: 24 }), /at least one full batch of 24 examples, found 23/);
});

test("packing: segments are the unpacked examples, labels never cross a boundary, positions restart", () => {
  const data = new TokenizedDataset({ examples: examples(12), maxLength: 16, padTokenId: 0 });
  const batches = [...data.batches({ batchSize: 2, seed: 1, packing: true })];
  const seen: number[] = [];
  for (const batch of batches) {
    const T = batch.seqLen;
    assert.ok(batch.segmentIds && T <= 16);
    batch.rows.forEach((rows, b) => {
      let t = 0;
      rows.forEach((row, k) => {
        seen.push(row);
        const ex = data.examples[row - 1];
        for (let i = 0; i < ex.ids.length; i++, t++) {
          assert.equal(at(batch.segmentIds!, b, t, T), k + 1);
          assert.equal(at(batch.positionIds, b, t, T), i);
          assert.equal(at(batch.inputIds, b, t, T), ex.ids[i]);
          const want = i + 1 < ex.ids.length && ex.target[i + 1] ? ex.ids[i + 1] : IGNORE_INDEX;
          assert.equal(at(batch.labels, b, t, T), want);
        }
      });
      for (; t < T; t++) assert.equal(at(batch.segmentIds!, b, t, T), 0);
    });
  }
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.ok(batches.length < 6, "packing uses fewer rows than examples");
});

test("padding quantile shortens the batch and cuts long rows from the left", () => {
  const data = new TokenizedDataset({ examples: examples(5), maxLength: 16, padTokenId: 0 });
  const [batch] = [...data.batches({ batchSize: 5, shuffle: false, paddingQuantile: 0.5 })];
  assert.equal(batch.seqLen, 5); // lengths 3,4,5,6,7 → median 5
  const ex = data.examples[4]; // 7 tokens, loses its first 2
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((t) => at(batch.inputIds, 4, t, 5)),
    [...ex.ids].slice(2),
  );
  const [rounded] = [...data.batches({ batchSize: 5, shuffle: false, padToMultipleOf: 8 })];
  assert.equal(rounded.seqLen, 8);
});
