// Browser check: the ONNX export of the demo model runs in headless Debian chromium with onnxruntime-web
// (WebAssembly, one thread) from a local page: a loopback HTTP server serves the page, onnxruntime-web's files
// from node_modules and the exported folder, and every other request is refused. The page runs greedy decoding
// with the KV cache (prefill, then one token per step, feeding `present.*` back as `past_key_values.*`), and
// its ids must equal ours for fp32 and transformers.js's (onnxruntime-node) for q4 (MatMulNBits).
// Skipped where /usr/bin/chromium is not installed.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { chromium } from "playwright-core";
import { Backbone, exportOnnx } from "../../sdk/models";
import { loadTransformersJs } from "./transformers-js";

const CHROMIUM = "/usr/bin/chromium";
const tmp = mkdtempSync(path.join(os.tmpdir(), "tunebook-onnx-browser-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const NEW = 12;

const PAGE = `<!doctype html><html><body><script type="module">
import * as ort from "/ort/ort.wasm.min.mjs";
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = "/ort/";
window.greedy = async (file, prompt, steps) => {
  const config = await (await fetch("/model/config.json")).json();
  const L = config.num_hidden_layers, K = config.num_key_value_heads;
  const D = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const session = await ort.InferenceSession.create("/model/onnx/" + file, {
    executionProviders: ["wasm"],
    externalData: [{ path: file + "_data", data: "/model/onnx/" + file + "_data" }],
  });
  const int64 = (values) => new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), [1, values.length]);
  let past = {};
  for (let i = 0; i < L; i++) for (const kv of ["key", "value"])
    past["past_key_values." + i + "." + kv] = new ort.Tensor("float32", new Float32Array(0), [1, K, 0, D]);
  let ids = prompt, at = 0;
  const out = [];
  for (let s = 0; s < steps; s++) {
    const T = ids.length;
    const feeds = { ...past, input_ids: int64(ids), attention_mask: int64(Array(at + T).fill(1)),
      position_ids: int64(ids.map((_, t) => at + t)) };
    const r = await session.run(feeds);
    const [, , V] = r.logits.dims;
    const last = r.logits.data.subarray((T - 1) * V, T * V);
    let best = 0;
    for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
    out.push(best);
    for (let i = 0; i < L; i++) for (const kv of ["key", "value"])
      past["past_key_values." + i + "." + kv] = r["present." + i + "." + kv];
    at += T;
    ids = [best];
  }
  return out;
};
window.ready = true;
</script></body></html>`;

const TYPES: Record<string, string> = {
  ".mjs": "text/javascript",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/** Serves the page, onnxruntime-web's dist folder under /ort/ and the export under /model/. */
function serve(ortDir: string, modelDir: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const [root, rel] = url.pathname.startsWith("/ort/")
      ? [ortDir, url.pathname.slice(5)]
      : url.pathname.startsWith("/model/")
        ? [modelDir, url.pathname.slice(7)]
        : ["", ""];
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      return;
    }
    const file = path.join(root, path.normalize(rel));
    if (!root || !file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("headless chromium runs the export with onnxruntime-web: fp32 greedy ids equal ours, q4 equal transformers.js's", {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, async () => {
  const backbone = await Backbone.load("assets/tiny-llama");
  const out = path.join(tmp, "demo");
  const prompt = backbone.modelDir.tokenizer?.encode("Call me Ishmael. Some years ago") ?? [];
  let expected: number[];
  try {
    await exportOnnx({ backbone, dir: out, dtypes: ["fp32", "q4"] });
    const [r] = await backbone.generate({
      inputIds: [prompt],
      maxNewTokens: NEW,
      minNewTokens: NEW,
      doSample: false,
    });
    expected = [...r.tokenIds];
  } finally {
    await backbone.dispose();
  }
  const peer = await loadTransformersJs(out, "q4");
  const q4 = await peer.greedy(prompt, NEW);
  await peer.dispose();

  const ortDir = path.dirname(require.resolve("onnxruntime-web"));
  const server = await serve(ortDir, out);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const blocked: string[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  try {
    const page = await browser.newPage();
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith(`${origin}/`)) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${origin}/`, { waitUntil: "load" });
    await page.waitForFunction("window.ready === true", undefined, { timeout: 30_000 });
    const run = (file: string) =>
      page.evaluate(
        ([f, p, n]) =>
          (globalThis as unknown as { greedy: (...a: unknown[]) => Promise<number[]> }).greedy(f, p, n),
        [file, prompt, NEW] as const,
      );
    assert.deepEqual(await run("model.onnx"), expected, "fp32 in the browser = ours");
    assert.deepEqual(
      await run("model_q4.onnx"),
      q4,
      "q4 in the browser = transformers.js (onnxruntime-node)",
    );
    assert.deepEqual(errors, [], "no page errors");
    assert.deepEqual(blocked, [], "the page asked for nothing outside the loopback server");
  } finally {
    await browser.close();
    server.close();
  }
});
