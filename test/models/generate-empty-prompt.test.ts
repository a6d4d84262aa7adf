/**
 * An empty prompt, through the SDK and the `tunebook generate` binary: with a BOS token (assets/tiny-llama
 * declares one) generation starts from it, exactly as a prompt holding only that token; a model without one
 * fails with EmptyPromptError naming the option, before anything reaches onnxruntime.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Backbone, EmptyPromptError, startTokenOf } from "../../sdk/models";

const TINY = path.resolve("assets/tiny-llama");
const BIN = path.resolve("dist/sdk/cli/main.js");

/** A copy of tiny-llama whose config, generation config and tokenizer config declare no BOS token. */
function withoutBos(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-no-bos-"));
  for (const f of ["config.json", "generation_config.json", "tokenizer_config.json"]) {
    const json = JSON.parse(fs.readFileSync(path.join(TINY, f), "utf8"));
    delete json.bos_token_id;
    delete json.bos_token;
    fs.writeFileSync(path.join(dir, f), JSON.stringify(json));
  }
  for (const f of ["tokenizer.json", "model.safetensors"])
    fs.symlinkSync(path.join(TINY, f), path.join(dir, f));
  return dir;
}

function tunebook(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let backbone: Backbone;
let noBos: string;
before(async () => {
  backbone = await Backbone.load(TINY);
  noBos = withoutBos();
});
after(async () => {
  await backbone?.dispose();
  fs.rmSync(noBos, { recursive: true, force: true });
});

test("an empty prompt starts from the BOS token, alone or in a batch, for text and for token ids", async () => {
  const bos = startTokenOf(backbone);
  assert.equal(bos, 2045, "tiny-llama's generation_config.json bos_token_id");
  const [fromBos] = await backbone.generate({ inputIds: [[2045]], maxNewTokens: 6 });
  const [empty] = await backbone.generate({ prompt: "", maxNewTokens: 6 });
  assert.deepEqual(empty.tokenIds, fromBos.tokenIds);
  assert.equal(empty.promptTokens, 1, "the BOS token is the prompt");
  assert.ok(empty.tokenIds.length > 0);
  const [emptyIds] = await backbone.generate({ inputIds: [[]], maxNewTokens: 6 });
  assert.deepEqual(emptyIds.tokenIds, fromBos.tokenIds);
  const [, other] = await backbone.generate({ prompt: ["", "The sea"], maxNewTokens: 6 });
  const [alone] = await backbone.generate({ prompt: "The sea", maxNewTokens: 6 });
  assert.deepEqual(other.tokenIds, alone.tokenIds, "the other row of the batch is unaffected");
  let streamed = 0;
  for await (const c of backbone.stream({ prompt: "", maxNewTokens: 3 })) streamed += c.row === 0 ? 1 : 0;
  assert.equal(streamed, 3);
});

test("without a BOS token an empty prompt is an EmptyPromptError naming the option", async () => {
  const model = await Backbone.load(noBos);
  try {
    assert.equal(startTokenOf(model), undefined);
    await assert.rejects(model.generate({ prompt: ["Hi", ""], maxNewTokens: 2 }), (e: unknown) => {
      assert.ok(e instanceof EmptyPromptError);
      assert.equal(e.row, 1);
      assert.match(e.message, /Prompt 1 \(`prompt`\) is empty.*no beginning-of-sequence token/);
      return true;
    });
    await assert.rejects(model.generate({ inputIds: [[]] }), /`inputIds`\) is empty/);
    assert.throws(() => model.stream({ prompt: "" }), EmptyPromptError);
    const [ok] = await model.generate({ prompt: "Hi", maxNewTokens: 2 });
    assert.equal(ok.tokenIds.length, 2, "non-empty prompts still generate");
  } finally {
    await model.dispose();
  }
});

test("`tunebook generate -p ''` completes from BOS, or says the prompt is empty", () => {
  const r = tunebook(["generate", TINY, "-p", "", "--max-new-tokens", "5"]);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /onnxruntime|Reshape/);
  assert.ok(r.out.trim().length > 0, `no text generated: ${JSON.stringify(r.out)}`);
  const fail = tunebook(["generate", noBos, "-p", "", "--max-new-tokens", "5"]);
  assert.notEqual(fail.code, 0);
  assert.doesNotMatch(fail.err, /onnxruntime|Reshape/);
  assert.match(fail.err, /--prompt: the prompt is empty and this model has no beginning-of-sequence token/);
});
