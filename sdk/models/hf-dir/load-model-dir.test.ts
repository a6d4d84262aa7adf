import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ModelDirError } from "../errors";
import { writeSafetensors } from "../safetensors";
import { loadModelDir } from "./load-model-dir";

const tokenizerJson = {
  version: "1.0",
  added_tokens: [
    {
      id: 0,
      content: "[UNK]",
      special: true,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
    },
  ],
  normalizer: null,
  pre_tokenizer: { type: "Whitespace" },
  post_processor: null,
  decoder: null,
  model: {
    type: "WordPiece",
    vocab: { "[UNK]": 0, hello: 1, world: 2, "##s": 3 },
    unk_token: "[UNK]",
    continuing_subword_prefix: "##",
    max_input_chars_per_word: 100,
  },
};

function embed(): Float32Array {
  return Float32Array.from({ length: 12 }, (_, i) => i / 4);
}

async function makeDir(opts: { sharded: boolean }): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-modeldir-"));
  writeFileSync(
    path.join(dir, "config.json"),
    JSON.stringify({
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      hidden_size: 4,
      vocab_size: 3,
    }),
  );
  writeFileSync(
    path.join(dir, "generation_config.json"),
    JSON.stringify({ eos_token_id: 2, do_sample: false }),
  );
  writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson));
  const tensors = {
    "model.embed_tokens.weight": { shape: [3, 4], data: embed() },
    "model.norm.weight": { dtype: "BF16" as const, shape: [4], data: new Float32Array([1, 0.5, -2, 3]) },
    "lm_head.weight": { dtype: "F16" as const, shape: [3, 4], data: embed() },
  };
  if (!opts.sharded) {
    await writeSafetensors({
      path: path.join(dir, "model.safetensors"),
      tensors,
      metadata: { format: "pt" },
    });
    return dir;
  }
  const { "lm_head.weight": head, ...rest } = tensors;
  await writeSafetensors({ path: path.join(dir, "model-00001-of-00002.safetensors"), tensors: rest });
  await writeSafetensors({
    path: path.join(dir, "model-00002-of-00002.safetensors"),
    tensors: { "lm_head.weight": head },
  });
  const weight_map = {
    "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
    "model.norm.weight": "model-00001-of-00002.safetensors",
    "lm_head.weight": "model-00002-of-00002.safetensors",
  };
  writeFileSync(
    path.join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: { total_size: 96 }, weight_map }),
  );
  return dir;
}

function dirError(file: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ModelDirError, String(e));
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    return true;
  };
}

test("loads a single-file and a sharded model directory with the same tensors and tokenizer", async () => {
  for (const sharded of [false, true]) {
    const dir = await makeDir({ sharded });
    const model = await loadModelDir({ dir });
    assert.equal(model.dir, dir);
    assert.equal(model.modelType, "llama");
    assert.deepEqual(model.architectures, ["LlamaForCausalLM"]);
    assert.equal(model.config.hidden_size, 4);
    assert.deepEqual(model.generationConfig, { eos_token_id: 2, do_sample: false });
    assert.deepEqual(model.weights.names(), [
      "lm_head.weight",
      "model.embed_tokens.weight",
      "model.norm.weight",
    ]);
    assert.equal(model.weights.files.length, sharded ? 2 : 1);
    const head = model.weights.ref("lm_head.weight");
    assert.deepEqual([head.dtype, head.shape, head.byteLength], ["F16", [3, 4], 24]);
    assert.equal(path.dirname(head.file), dir);
    assert.deepEqual(await model.weights.readFloat32("model.embed_tokens.weight"), embed());
    assert.deepEqual(
      await model.weights.readFloat32("lm_head.weight"),
      embed(),
      "quarter steps are exact in f16",
    );
    assert.deepEqual(Array.from(await model.weights.readFloat32("model.norm.weight")), [1, 0.5, -2, 3]);
    assert.deepEqual(model.tokenizer?.encode("hello worlds there"), [1, 2, 3, 0], "WordPiece with [UNK]");
    assert.deepEqual(model.tokenizer?.eosTokenIds, [2], "eos from generation_config.json");
    await assert.rejects(model.weights.read("nope"), /no tensor "nope"/);
  }
});

test("explains missing shards, index/shard mismatches, .bin weights, missing config and tokenizer", async () => {
  let dir = await makeDir({ sharded: true });
  rmSync(path.join(dir, "model-00002-of-00002.safetensors"));
  await assert.rejects(
    loadModelDir({ dir }),
    dirError("model-00002-of-00002.safetensors", /listed in model\.safetensors\.index\.json .* not found/),
  );

  dir = await makeDir({ sharded: true });
  await writeSafetensors({
    path: path.join(dir, "model-00002-of-00002.safetensors"),
    tensors: { other: { shape: [1], data: new Float32Array(1) } },
  });
  await assert.rejects(
    loadModelDir({ dir }),
    dirError("model-00002-of-00002.safetensors", /holds tensor "lm_head\.weight", but it does not/),
  );

  dir = await makeDir({ sharded: false });
  renameSync(path.join(dir, "model.safetensors"), path.join(dir, "pytorch_model.bin"));
  await assert.rejects(
    loadModelDir({ dir }),
    dirError("pytorch_model.bin", /\.bin weights are not supported.*safe_serialization=True/),
  );
  rmSync(path.join(dir, "pytorch_model.bin"));
  await assert.rejects(
    loadModelDir({ dir }),
    dirError("model.safetensors", /no model\.safetensors or model\.safetensors\.index\.json/),
  );

  dir = await makeDir({ sharded: false });
  rmSync(path.join(dir, "tokenizer.json"));
  await assert.rejects(loadModelDir({ dir }), dirError("tokenizer.json", /file not found/));
  assert.equal((await loadModelDir({ dir, tokenizer: false })).tokenizer, undefined);
  rmSync(path.join(dir, "config.json"));
  await assert.rejects(loadModelDir({ dir }), dirError("config.json", /file not found/));
  writeFileSync(path.join(dir, "config.json"), "{");
  await assert.rejects(loadModelDir({ dir }), dirError("config.json", /not valid JSON/));
  await assert.rejects(
    loadModelDir({ dir: path.join(dir, "missing") }),
    dirError(".", /not a directory.*resolveModel/),
  );
});
