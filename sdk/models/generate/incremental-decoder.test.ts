import assert from "node:assert/strict";
import { test } from "node:test";
import { makeTinyCheckpoint } from "../../../test/reference";
import { loadTokenizer } from "../tokenizer";
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
