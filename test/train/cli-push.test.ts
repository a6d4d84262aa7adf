/**
 * `tunebook push` as users run it (the binary spawned) against a loopback test double of the Hub's write API
 * (test/models/fake-hub.ts), on an experiment trained here by `tunebook train`: the adapter goes out in one
 * commit with a model card carrying the training configuration and metrics; HF_TOKEN/HF_ENDPOINT are honoured;
 * a repository the token cannot write to fails with what to do and creates nothing; an unknown format is listed.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { FakeHub, saveHubEnv } from "../models/fake-hub";
import { cliWorkspace, onlyExperiment, startTunebook, tunebook } from "../support/cli-workspace";
import { experimentsRoot, tinyLlama } from "./fixtures";

let ws = "";
let trained = "";
let hub: FakeHub;
const restoreHubEnv = saveHubEnv();

before(async () => {
  hub = await FakeHub.start();
  ws = experimentsRoot();
  const model = path.join(ws, "model");
  fs.cpSync(await tinyLlama(), model, { recursive: true });
  await cliWorkspace({ dir: ws, backbone: model });
  const r = tunebook(["train", "--config", "exp.yaml"], ws);
  assert.equal(r.code, 0, r.err);
  trained = onlyExperiment(path.join(ws, "runs"));
  process.env.HF_ENDPOINT = hub.endpoint;
});

after(async () => {
  await hub.close();
  fs.rmSync(ws, { recursive: true, force: true });
  restoreHubEnv();
});

/** Runs `tunebook <args>` without blocking this process (the fake Hub answers from it). */
function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = startTunebook(args, ws);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output: child.output() })));
}

test("push <experiment> --format peft publishes the adapter and its model card in one commit", async () => {
  process.env.HF_TOKEN = "hf_write_me";
  const r = await run(["push", trained, "--repo", "me/capitals", "--private", "--format", "peft"]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`pushed 3 files to ${hub.endpoint}/me/capitals`));
  const repo = hub.repos.get("me/capitals");
  assert.equal(repo?.commits.length, 1);
  assert.ok(repo?.private);
  const files = hub.head("me/capitals");
  assert.deepEqual([...files.keys()].sort(), [
    "README.md",
    "adapter_config.json",
    "adapter_model.safetensors",
  ]);
  const card = files.get("README.md")?.toString() ?? "";
  assert.match(card, /library_name: peft/);
  assert.match(card, /### Training configuration/);
  assert.match(card, /\| validation_loss \| [\d.]+ \|/);
  assert.match(card, /PeftModel\.from_pretrained/);
});

test("push to a repository the token cannot write to says what to do; an unknown format lists the formats", async () => {
  process.env.HF_TOKEN = "hf_write_me";
  const r = await run(["push", trained, "--repo", "acme/capitals", "--format", "peft"]);
  assert.equal(r.code, 1, r.output);
  assert.match(
    r.output,
    /may not write to acme\/capitals \(403.*namespace 'acme'.*push to your own namespace/,
  );
  assert.doesNotMatch(r.output, /\bat .*\.js:\d+/, "a clear message, no stack trace");
  assert.ok(!hub.repos.has("acme/capitals"));
  const bad = await run(["push", trained, "--repo", "me/x", "--format", "tflite"]);
  assert.equal(bad.code, 1);
  assert.match(bad.output, /--format.*'tflite' is not a format; choose one of peft, merged, onnx/);
});
