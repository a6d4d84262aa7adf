/**
 * `tunebook export <exp> --format gguf [--gguf-type …]` on an experiment trained here by `tunebook train`: the
 * folder holds `model.gguf`, the Ollama `Modelfile` and the export marker, and llama.cpp (node-llama-cpp's
 * prebuilt CPU binary) reads the file without warnings and tokenizes as the trained model does; an unknown
 * type lists the valid ones, a type for another format is refused, and the folder rules are those of every export.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { loadTrainedBackbone } from "../../sdk/train";
import { tunebook } from "../support/cli-workspace";
import { greedyOurs, loadLlamaCpp } from "../support/llama-cpp";
import { cliTrainedExperiment } from "./fixtures";

let ws = "";
let trained = "";

before(async () => {
  ({ ws, trained } = await cliTrainedExperiment());
});

after(() => fs.rmSync(ws, { recursive: true, force: true }));

test("export --format gguf --gguf-type q8_0 writes a file llama.cpp reads, continuing as the trained model", async () => {
  const out = path.join(ws, "gguf-q8");
  const r = tunebook(["export", trained, "-o", out, "--format", "gguf", "--gguf-type", "q8_0"], ws);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /exported gguf model to/);
  assert.deepEqual(fs.readdirSync(out).sort(), ["Modelfile", "model.gguf", "tunebook-export.json"]);
  const cpp = await loadLlamaCpp(path.join(out, "model.gguf"));
  const backbone = await loadTrainedBackbone(trained);
  try {
    assert.deepEqual(cpp.warnings, []);
    const prompt = cpp.tokenize("The capital of France is");
    assert.deepEqual(
      prompt,
      backbone.modelDir.tokenizer?.encode("The capital of France is", { addSpecialTokens: false }),
    );
    // q8_0 against our float32: the first greedy token agrees (the trained model is confident there).
    const [ours] = await greedyOurs(backbone, prompt, 1);
    assert.equal((await cpp.greedyAfter(prompt, prompt.length))[0], ours);
  } finally {
    await cpp.dispose();
    await backbone.dispose();
  }
  // Again into the same folder: refused without --overwrite, replaced with it.
  const again = tunebook(["export", trained, "-o", out, "--format", "gguf"], ws);
  assert.equal(again.code, 1);
  assert.match(again.err, /exists and is not empty.*--overwrite/);
  assert.equal(tunebook(["export", trained, "-o", out, "--format", "gguf", "--overwrite"], ws).code, 0);
});

test("an unknown --gguf-type lists the valid ones; --gguf-type without --format gguf is refused", () => {
  const bad = tunebook(
    ["export", trained, "-o", path.join(ws, "bad"), "--format", "gguf", "--gguf-type", "q5_k"],
    ws,
  );
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown GGUF type 'q5_k'.*f32, f16, q4_0, q8_0/);
  const wrong = tunebook(
    ["export", trained, "-o", path.join(ws, "wrong"), "--format", "merged", "--gguf-type", "f16"],
    ws,
  );
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /--gguf-type only with --format gguf/);
  assert.ok(!fs.existsSync(path.join(ws, "bad")) && !fs.existsSync(path.join(ws, "wrong")));
});
