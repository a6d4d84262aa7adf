import assert from "node:assert/strict";
import { test } from "node:test";
import { makeTinyCheckpoint } from "../../../test/reference";
import { bytesToUnicode } from "../../../test/support/byte-level";
import { loadTokenizer, Tokenizer } from "../tokenizer";
import { IncrementalDecoder } from "./incremental-decoder";

test("deltas never split a UTF-8 character and add up to the full decode (byte-level BPE)", async () => {
  const tok = await loadTokenizer({ dir: await makeTinyCheckpoint({ arch: "llama" }) });
  const text = " héllo wörld — 日本語 🙂 ok";
  const prompt = tok.encode("Say:", { addSpecialTokens: false });
  const ids = tok.encode(text, { addSpecialTokens: false });
  assert.ok(ids.length > [...text].length / 2, "expected multi-token characters");
  const decoder = new IncrementalDecoder((list) => tok.decode(list, { skipSpecialTokens: true }), prompt);
  const deltas = ids.map((id) => decoder.push(id));
  deltas.push(decoder.flush());
  for (const d of deltas) assert.ok(!d.includes("\uFFFD"), `broken character in ${JSON.stringify(d)}`);
  assert.ok(
    deltas.some((d) => d === ""),
    "some token should end inside a character",
  );
  assert.equal(deltas.join(""), text);
});

// GPT-2's byte → printable-unicode map (the published byte-level BPE table).

/** A real byte-level BPE tokenizer (GPT-2 style): every UTF-8 byte is a token, plus a few merges. */
function byteLevelTokenizer(): Tokenizer {
  const merges = ["Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "h e", "l l", "he ll", "hell o"];
  const vocab: Record<string, number> = {};
  for (const ch of bytesToUnicode()) vocab[ch] = Object.keys(vocab).length;
  for (const m of merges) vocab[m.replace(" ", "")] = Object.keys(vocab).length;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: true };
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  return Tokenizer.create({ tokenizerJson, tokenizerConfig: {} });
}

// Reference: the tokenizer's own decode of the whole sequence.
test("IncrementalDecoder streams exactly the full decode, never a broken character", () => {
  const tok = byteLevelTokenizer();
  const texts = ["hello world", "héllo wörld — naïve 東京 🎉🙂 end", "🎉", "a  b\n\tc", "👩‍👩‍👧 family"];
  for (const text of texts) {
    const ids = tok.encode(text, { addSpecialTokens: false });
    const multiByte = [...text].some((c) => c.codePointAt(0)! > 127);
    if (multiByte) assert.ok(ids.length > [...text].length, "multi-byte characters span several tokens");
    const stream = new IncrementalDecoder((x) => tok.decode(x));
    const deltas = ids.map((id) => stream.push(id));
    deltas.push(stream.flush());
    assert.equal(deltas.join(""), tok.decode(ids), text);
    for (const d of deltas) assert.ok(!d.includes("\uFFFD"), `delta ${JSON.stringify(d)} of ${text}`);
    // Something was held back at least once for a multi-byte text.
    if (multiByte) assert.ok(deltas.some((d) => d === ""));
  }
});

test("IncrementalDecoder with prompt context and a truncated character at the end", () => {
  const tok = byteLevelTokenizer();
  const prompt = tok.encode("say:", { addSpecialTokens: false });
  const ids = tok.encode(" hello 🎉", { addSpecialTokens: false });
  const stream = new IncrementalDecoder((x) => tok.decode(x), prompt);
  const text = ids.map((id) => stream.push(id)).join("") + stream.flush();
  assert.equal(text, tok.decode([...prompt, ...ids]).slice(tok.decode(prompt).length));
  // Generation stopped in the middle of the emoji's 4 bytes: flush gives what a full decode gives.
  const cut = new IncrementalDecoder((x) => tok.decode(x));
  const partial = ids.slice(0, -2);
  const streamed = partial.map((id) => cut.push(id)).join("");
  assert.equal(streamed, " hello ");
  assert.equal(streamed + cut.flush(), tok.decode(partial));
});
