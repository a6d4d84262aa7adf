import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { HubError } from "../errors";
import { loadModelDir } from "../hf-dir";
import { writeSafetensors } from "../safetensors";
import { hubSettings } from "./hub-env";
import { type DownloadProgress, resolveModel } from "./resolve-model";

// A loopback stand-in for the Hub (a test double: nothing real can be reached from CI). It answers the
// endpoints @huggingface/hub calls: model info, tree listing, paths-info and /resolve/ with Range support.
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
interface RepoFile {
  path: string;
  body: Buffer;
  lfs: boolean;
}
const repos = new Map<string, RepoFile[]>();
const requests: { method: string; url: string; auth: string | undefined }[] = [];
let server: http.Server;
let endpoint: string;

function oid(f: RepoFile): string {
  return createHash(f.lfs ? "sha256" : "sha1")
    .update(f.body)
    .digest("hex");
}

function entry(f: RepoFile) {
  const lfs = f.lfs ? { lfs: { oid: oid(f), size: f.body.length, pointerSize: 134 } } : {};
  return {
    type: "file",
    path: f.path,
    size: f.body.length,
    oid: createHash("sha1").update(f.body).digest("hex"),
    ...lfs,
  };
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  requests.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization });
  const url = new URL(req.url ?? "/", endpoint);
  const api = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/([^/]+)$/);
  const resolve = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
  const repoName = api?.[1] ?? resolve?.[1] ?? "";
  const files = repos.get(repoName);
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  };
  if (repoName === "tiny-org/gated" || repoName === "tiny-org/down") {
    const status = repoName === "tiny-org/gated" ? 401 : 503;
    json(status, { error: status === 401 ? "Invalid credentials" : "Service unavailable" });
    return;
  }
  if (!files) {
    res.writeHead(404, { "X-Error-Code": "RepoNotFound", "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: "Repository not found" }));
    return;
  }
  if (api?.[2] === "revision") {
    json(200, {
      _id: "x",
      id: repoName,
      sha: COMMIT,
      private: false,
      downloads: 0,
      gated: false,
      likes: 0,
      tags: [],
    });
  } else if (api?.[2] === "tree") {
    json(200, files.map(entry));
  } else if (api?.[2] === "paths-info") {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const { paths } = JSON.parse(body) as { paths: string[] };
      const commit = { id: COMMIT, title: "init", date: "2024-01-01T00:00:00.000Z" };
      json(
        200,
        files.filter((f) => paths.includes(f.path)).map((f) => ({ ...entry(f), lastCommit: commit })),
      );
    });
  } else if (resolve) {
    const f = files.find((x) => x.path === resolve[3]);
    if (!f) {
      res.writeHead(404, { "X-Error-Code": "EntryNotFound" }).end();
      return;
    }
    const headers = { ETag: `"${oid(f)}"`, "X-Repo-Commit": COMMIT, "Accept-Ranges": "bytes" };
    const range = req.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), f.body.length - 1) : f.body.length - 1;
      res.writeHead(206, { ...headers, "Content-Range": `bytes ${start}-${end}/${f.body.length}` });
      res.end(f.body.subarray(start, end + 1));
    } else {
      res.writeHead(200, { ...headers, "Content-Length": f.body.length }).end(f.body);
    }
  } else {
    res.writeHead(404).end();
  }
}

before(async () => {
  const src = mkdtempSync(path.join(os.tmpdir(), "tunebook-hub-src-"));
  const st = await writeSafetensors({
    path: path.join(src, "model.safetensors"),
    tensors: { "model.embed_tokens.weight": { shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) } },
  });
  const tokenizer = {
    version: "1.0",
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: {
      type: "WordPiece",
      vocab: { "[UNK]": 0, hi: 1 },
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
    },
  };
  const text = (p: string, v: unknown): RepoFile => ({
    path: p,
    body: Buffer.from(JSON.stringify(v)),
    lfs: false,
  });
  repos.set("tiny-org/tiny-model", [
    text("config.json", { model_type: "llama", architectures: ["LlamaForCausalLM"] }),
    text("tokenizer.json", tokenizer),
    text("tokenizer_config.json", { unk_token: "[UNK]" }),
    { path: "model.safetensors", body: readFileSync(st), lfs: true },
    { path: "pytorch_model.bin", body: Buffer.alloc(64), lfs: true },
    { path: "README.md", body: Buffer.from("# tiny"), lfs: false },
  ]);
  repos.set("tiny-org/bin-only", [
    text("config.json", { model_type: "llama" }),
    { path: "pytorch_model.bin", body: Buffer.alloc(64), lfs: true },
  ]);
  server = http.createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

test("downloads a model into the Hugging Face cache layout with progress, then reuses it offline", async () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "tunebook-hub-cache-"));
  const progress: DownloadProgress[] = [];
  const saved = { ...process.env };
  process.env.HF_ENDPOINT = endpoint;
  process.env.HF_TOKEN = "hf_testtoken";
  try {
    requests.length = 0;
    const dir = await resolveModel({
      model: "tiny-org/tiny-model",
      cacheDir,
      onProgress: (p) => progress.push(p),
    });
    const storage = path.join(cacheDir, "models--tiny-org--tiny-model");
    assert.equal(dir, path.join(storage, "snapshots", COMMIT));
    assert.equal(readFileSync(path.join(storage, "refs", "main"), "utf8"), COMMIT);
    const link = path.join(dir, "model.safetensors");
    assert.ok(lstatSync(link).isSymbolicLink());
    const st = repos.get("tiny-org/tiny-model")?.find((f) => f.path === "model.safetensors");
    assert.equal(path.resolve(dir, readlinkSync(link)), path.join(storage, "blobs", st ? oid(st) : ""));
    // Only what tunebook loads was fetched, always with the token.
    const fetched = requests.filter((r) => r.url.includes("/resolve/")).map((r) => r.url.split("/").pop());
    assert.deepEqual([...new Set(fetched)].sort(), [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    assert.ok(requests.every((r) => r.auth === "Bearer hf_testtoken"));
    const done = progress.filter((p) => p.done);
    assert.deepEqual(
      done.map((p) => [p.fileIndex, p.fileCount]),
      [
        [1, 4],
        [2, 4],
        [3, 4],
        [4, 4],
      ],
    );
    for (const p of done) assert.equal(p.bytes, p.totalBytes);
    assert.ok(progress.some((p) => !p.done && p.file === "model.safetensors" && p.bytes > 0));
    // The snapshot loads, weights resolve to the blob.
    const model = await loadModelDir({ dir });
    assert.deepEqual(
      await model.weights.readFloat32("model.embed_tokens.weight"),
      new Float32Array([1, 2, 3, 4, 5, 6]),
    );
    assert.equal(
      path.dirname(model.weights.ref("model.embed_tokens.weight").file),
      path.join(storage, "blobs"),
    );
    // Offline: from the cache, without a single request.
    requests.length = 0;
    process.env.HF_HUB_OFFLINE = "1";
    assert.equal(await resolveModel({ model: "tiny-org/tiny-model", cacheDir }), dir);
    assert.equal(requests.length, 0);
    await assert.rejects(resolveModel({ model: "tiny-org/other", cacheDir }), (e: unknown) => {
      assert.ok(e instanceof HubError);
      assert.match(e.message, /not in the cache .* offline mode is on/);
      return true;
    });
  } finally {
    process.env = saved;
  }
});

test("explains unknown repositories and .bin-only repositories; local directories pass through", async () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "tunebook-hub-cache-"));
  await assert.rejects(
    resolveModel({ model: "tiny-org/missing", cacheDir, endpoint, offline: false }),
    /not found \(HTTP 404\)/,
  );
  await assert.rejects(
    resolveModel({ model: "tiny-org/bin-only", cacheDir, endpoint, offline: false }),
    /only PyTorch \.bin weights.*safe_serialization=True/,
  );
  assert.equal(await resolveModel({ model: cacheDir }), cacheDir);
  await assert.rejects(resolveModel({ model: "not a repo" }), /not a local directory nor an org\/name/);
});

test("hub settings follow HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN and HF_HUB_OFFLINE", () => {
  const env = { HF_HOME: "/data/hf", HF_ENDPOINT: "http://mirror/", HF_TOKEN: "hf_x", HF_HUB_OFFLINE: "1" };
  assert.deepEqual(hubSettings({}, env), {
    endpoint: "http://mirror",
    cacheDir: "/data/hf/hub",
    token: "hf_x",
    offline: true,
  });
  assert.equal(hubSettings({}, { ...env, HF_HUB_CACHE: "/c" }).cacheDir, "/c");
  assert.equal(hubSettings({ offline: false, cacheDir: "/o" }, env).offline, false);
  assert.equal(hubSettings({}, {}).endpoint, "https://huggingface.co");
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Asserts a HubError says the Hub could not be reached (with `reason`) and how to work offline. */
function unreachable(reason: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof HubError, String(e));
    assert.match(e.problem, /^the Hub at \S+ could not be reached \(/);
    assert.match(e.problem, reason);
    assert.match(e.problem, /the model is not in the cache \(.*models--tiny-org--tiny-model\)/);
    assert.match(e.fix, /HF_HUB_OFFLINE=1/);
    assert.match(e.fix, /local model folder/);
    assert.doesNotMatch(e.message, /Check the model id/);
    return true;
  };
}

test("an unreachable Hub (refused, unresolvable, dropped) is told apart from a missing model", async () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "tunebook-hub-cache-"));
  const model = "tiny-org/tiny-model";
  const refused = `http://127.0.0.1:${await closedPort()}`;
  await assert.rejects(
    resolveModel({ model, cacheDir, endpoint: refused, offline: false }),
    unreachable(/ECONNREFUSED/),
  );
  // An HF_ENDPOINT override whose host does not resolve (.invalid never does, RFC 6761).
  const saved = { ...process.env };
  process.env.HF_ENDPOINT = "http://tunebook-hub.invalid";
  delete process.env.HF_HUB_OFFLINE;
  try {
    await assert.rejects(resolveModel({ model, cacheDir }), unreachable(/ENOTFOUND|EAI_AGAIN/));
  } finally {
    process.env = saved;
  }
  // A server that accepts the connection and drops it without an answer.
  const dropper = net.createServer((socket) => socket.destroy());
  await new Promise<void>((r) => dropper.listen(0, "127.0.0.1", r));
  try {
    const dropped = `http://127.0.0.1:${(dropper.address() as AddressInfo).port}`;
    await assert.rejects(
      resolveModel({ model, cacheDir, endpoint: dropped, offline: false }),
      unreachable(/other side closed|socket|ECONNRESET/i),
    );
  } finally {
    dropper.close();
  }
  // Answers from the Hub keep their own advice.
  await assert.rejects(
    resolveModel({ model: "tiny-org/gated", cacheDir, endpoint, offline: false }),
    /access denied \(HTTP 401\)\. Check the model id and revision; .*HF_TOKEN/,
  );
  await assert.rejects(
    resolveModel({ model: "tiny-org/down", cacheDir, endpoint, offline: false }),
    /failed to answer \(HTTP 503\).*try again later.*HF_HUB_OFFLINE=1/,
  );
});

test("an unreachable Hub falls back to the cached snapshot", async () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "tunebook-hub-cache-"));
  const model = "tiny-org/tiny-model";
  const dir = await resolveModel({ model, cacheDir, endpoint, offline: false });
  const refused = `http://127.0.0.1:${await closedPort()}`;
  assert.equal(await resolveModel({ model, cacheDir, endpoint: refused, offline: false }), dir);
});
