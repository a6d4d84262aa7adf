/**
 * pushToHub against a loopback test double of the Hub's write API (test/models/fake-hub.ts): a merged export is
 * published in one commit with its model card (HF_TOKEN and HF_ENDPOINT from the environment), large files via
 * LFS; a failed upload midway leaves the repository without a new revision and a second push completes; a
 * refused token (401), a read-only token and a token for another namespace (403) say what to do.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Backbone, exportMergedModel, HubError, pushToHub } from "../../sdk/models";
import { FakeHub, saveHubEnv } from "./fake-hub";

const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-push-"));
const exported = path.join(tmp, "merged");
let hub: FakeHub;
const restoreHubEnv = saveHubEnv();

before(async () => {
  hub = await FakeHub.start();
  const backbone = await Backbone.load("assets/tiny-llama");
  try {
    await exportMergedModel({
      backbone,
      dir: exported,
      modelCard: { trainingConfig: { training: { epochs: 3 } }, metrics: { validation_loss: 2.25 } },
    });
  } finally {
    await backbone.dispose();
  }
});
after(async () => {
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
  restoreHubEnv();
});

test("a merged export is published in one commit with its model card, honouring HF_TOKEN and HF_ENDPOINT", async () => {
  process.env.HF_TOKEN = "hf_write_me";
  process.env.HF_ENDPOINT = hub.endpoint;
  const pushed = await pushToHub({ dir: exported, repo: "me/tiny", private: true });
  assert.equal(pushed.url, `${hub.endpoint}/me/tiny`);
  const repo = hub.repos.get("me/tiny");
  assert.ok(repo?.private, "created private");
  assert.equal(repo.commits.length, 1, "one commit");
  const files = hub.head("me/tiny");
  assert.deepEqual([...files.keys()].sort(), pushed.files);
  assert.ok(!files.has("tunebook-export.json"), "the local export marker is not published");
  for (const f of pushed.files) assert.deepEqual(files.get(f), readFileSync(path.join(exported, f)), f);
  assert.ok(hub.lfs.size >= 2, "model.safetensors and tokenizer.json went through LFS");
  const card = files.get("README.md")?.toString() ?? "";
  assert.match(card, /\| training\.epochs \| 3 \|/);
  assert.match(card, /\| validation_loss \| 2\.25 \|/);
  assert.equal(pushed.commit.oid, repo.commits[0].oid);
  // Pushing again to the existing repository adds one commit (the repository's 409 is not an error).
  await pushToHub({ dir: exported, repo: "me/tiny", commitMessage: "again" });
  assert.deepEqual(
    repo.commits.map((c) => c.title),
    ["Upload model exported with tunebook", "again"],
  );
});

test("an upload failing midway leaves no new revision; pushing again completes", async () => {
  const options = { dir: exported, repo: "me/flaky", token: "hf_write_me", endpoint: hub.endpoint };
  hub.failUpload = hub.uploads + 2; // the second of this push's uploads
  await assert.rejects(pushToHub(options), (e: unknown) => {
    assert.ok(e instanceof HubError);
    assert.match(e.message, /upload failed while uploading.*nothing was committed.*Run the push again/);
    return true;
  });
  const sent = [...hub.lfs.keys()].filter((k) => k.startsWith("me/flaky:")).length;
  assert.ok(sent >= 1, `midway: some files were uploaded before the failure (${sent})`);
  assert.equal(hub.repos.get("me/flaky")?.commits.length, 0, "no half-published revision");
  await pushToHub(options);
  assert.equal(hub.repos.get("me/flaky")?.commits.length, 1);
  assert.deepEqual(hub.head("me/flaky").get("config.json"), readFileSync(path.join(exported, "config.json")));
});

test("a refused token, a read-only token and another namespace say what to do", async () => {
  const base = { dir: exported, endpoint: hub.endpoint };
  await assert.rejects(pushToHub({ ...base, repo: "me/x", token: "hf_expired" }), (e: unknown) => {
    assert.ok(e instanceof HubError);
    assert.match(e.message, /refused the token.*401.*settings\/tokens and set HF_TOKEN/);
    return true;
  });
  await assert.rejects(
    pushToHub({ ...base, repo: "me/x", token: "hf_read" }),
    /may not write to me\/x \(403/,
  );
  await assert.rejects(pushToHub({ ...base, repo: "acme/x", token: "hf_write_me" }), (e: unknown) => {
    assert.ok(e instanceof HubError);
    assert.match(
      e.message,
      /may not write to acme\/x.*namespace 'acme'.*write token.*or push to your own namespace/,
    );
    return true;
  });
  assert.ok(!hub.repos.has("acme/x") && !hub.repos.has("me/x"));
  const noToken = { ...base, repo: "me/x" };
  delete process.env.HF_TOKEN;
  delete process.env.HUGGING_FACE_HUB_TOKEN;
  await assert.rejects(pushToHub(noToken), /HF_TOKEN is not set.*settings\/tokens/);
  await assert.rejects(pushToHub({ ...base, repo: "no-namespace", token: "hf_write_me" }), /user\/name/);
});
