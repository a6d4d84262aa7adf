/**
 * `tunebook serve` as a real process (`node dist/sdk/cli/main.js serve`) on the tiny Llama: SIGTERM and SIGINT
 * during an `n=16` stream let it finish with `[DONE]`, then the process disposes of the model and exits 0; a
 * port in use, an empty `TUNEBOOK_API_KEY` or `--api-key ""` are clear one-line errors; an experiment is
 * served under its own name (or `--model-id`), which `/v1/models` lists and requests use.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import OpenAI from "openai";
import { BIN, childEnv, cliWorkspace, onlyExperiment, tunebook } from "../support/cli-workspace";
import { arithmeticRecords } from "../train/fixtures";
import { rawHttp } from "./raw-http";

const TINY = path.resolve("assets/tiny-llama");

/** A running `tunebook serve` process. */
interface ServeProcess {
  proc: ChildProcess;
  /** The base URL it printed (`http://127.0.0.1:PORT/v1`). */
  url: string;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  exited: Promise<number | string>;
}

/** {@link childEnv} without the user's `TUNEBOOK_API_KEY`, plus `extra`. */
function serveEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = childEnv();
  delete env.TUNEBOOK_API_KEY;
  return { ...env, ...extra };
}

/** Starts `tunebook serve <args>` and waits until it prints its URL. */
async function startServe(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [BIN, "serve", ...args], { env: serveEnv(env) });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.on("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  for (let i = 0; i < 600 && !/ at (http\S+)/.test(out); i++) {
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = / at (http\S+)/.exec(out)?.[1];
  if (!url) {
    proc.kill("SIGKILL");
    assert.fail(`tunebook serve did not start: ${out}\n${err}`);
  }
  return { proc, url, port: Number(new URL(url).port), stdout: () => out, stderr: () => err, exited };
}

/** Runs `tunebook serve <args>` expecting it to fail at once. */
function failingServe(args: string[], env: Record<string, string> = {}) {
  const r = tunebook(["serve", ...args], undefined, { env: serveEnv(env), timeout: 60_000 });
  return { code: r.code, err: r.err };
}

describe("tunebook serve: shutdown", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} during an n=16 stream: the stream ends with [DONE], the model is disposed, exit 0`, async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-serve-tmp-"));
      const s = await startServe([TINY, "--port", "0"], { TMPDIR: tmp });
      const modelFolders = () => fs.readdirSync(path.join(tmp, "tunebook-onnx"));
      assert.ok(modelFolders().length > 0, "the model is loaded from a per-process folder");
      const body = JSON.stringify({
        model: "tiny-llama",
        messages: [{ role: "user", content: "Tell me a story" }],
        n: 16,
        max_tokens: 12,
        temperature: 1,
        seed: 1,
        stream: true,
      });
      let text = "";
      let signalled = false;
      let doneBeforeSignal = false;
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          `${s.url}/chat/completions`,
          { method: "POST", headers: { "content-type": "application/json" } },
          (res) => {
            assert.equal(res.statusCode, 200);
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              text += chunk;
              if (!signalled) {
                signalled = true;
                doneBeforeSignal = text.includes("[DONE]");
                s.proc.kill(signal);
              }
            });
            res.on("end", resolve);
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      assert.ok(signalled && !doneBeforeSignal, "the signal came while the stream was running");
      const events = text
        .split("\n\n")
        .filter((e) => e.startsWith("data: "))
        .map((e) => e.slice(6));
      assert.equal(events.at(-1), "[DONE]", `the stream was cut: ...${text.slice(-300)}`);
      const finished = events
        .slice(0, -1)
        .map((e) => JSON.parse(e))
        .filter((c) => c.choices[0]?.finish_reason);
      assert.deepEqual(
        finished.map((c) => c.choices[0].index),
        Array.from({ length: 16 }, (_, i) => i),
      );
      assert.equal(await s.exited, 0, s.stderr());
      assert.match(s.stderr(), new RegExp(`${signal}: finishing the requests in flight`));
      assert.deepEqual(modelFolders(), [], "the model was disposed (its folder removed)");
      await assert.rejects(rawHttp(s.port, "/health"), /ECONNREFUSED/);
    });
  }
});

describe("tunebook serve: clear errors", () => {
  test("a port in use names host:port and --port, without a stack", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = failingServe([TINY, "--port", String(port)]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`Cannot serve on 127\\.0\\.0\\.1:${port}: .*already in use.*--port`));
      assert.doesNotMatch(r.err, /\n\s+at |EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  test("an empty TUNEBOOK_API_KEY or --api-key says what to do", () => {
    const env = failingServe([TINY, "--port", "0"], { TUNEBOOK_API_KEY: "" });
    assert.equal(env.code, 1, env.err);
    assert.match(env.err, /TUNEBOOK_API_KEY: is set but empty; unset it .* or set it to the key/);
    assert.doesNotMatch(env.err, /String must contain/);
    const flag = failingServe([TINY, "--port", "0", "--api-key", ""]);
    assert.equal(flag.code, 1, flag.err);
    assert.match(flag.err, /--api-key: is empty; leave --api-key out to serve without a key/);
  });
});

describe("tunebook serve: the served model's name", () => {
  let experiment: string;

  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunebook-serve-exp-"));
    const records = arithmeticRecords(16).map((r, i) => ({ ...r, answer: `${i}` }));
    await cliWorkspace({
      dir,
      backbone: TINY,
      records,
      settings: { "lora.r": 4, "lora.target_modules": "[q_proj, v_proj]", "logging.name": "sums" },
    });
    const r = tunebook(["train", "--config", "exp.yaml"], dir, { env: serveEnv() });
    assert.equal(r.code, 0, r.err);
    experiment = onlyExperiment(path.join(dir, "runs"));
  });

  async function served(args: string[], fn: (client: OpenAI, s: ServeProcess) => Promise<void>) {
    const s = await startServe([...args, "--port", "0"]);
    try {
      await fn(new OpenAI({ baseURL: s.url, apiKey: "none", maxRetries: 0 }), s);
    } finally {
      s.proc.kill("SIGTERM");
      assert.equal(await s.exited, 0, s.stderr());
    }
  }

  const ask = (client: OpenAI, model: string) =>
    client.chat.completions.create({ model, messages: [{ role: "user", content: "1+1?" }], max_tokens: 2 });

  test("an experiment is served under its name, not its base model's", async () => {
    await served([experiment], async (client, s) => {
      assert.ok(s.stdout().includes(`serving ${experiment} as 'sums' at ${s.url}`), s.stdout());
      assert.deepEqual(
        (await client.models.list()).data.map((m) => m.id),
        ["sums"],
      );
      assert.equal((await ask(client, "sums")).model, "sums");
      await assert.rejects(ask(client, "tiny-llama"), OpenAI.NotFoundError);
    });
  });

  test("--model-id names it; a plain model folder keeps its folder's name; --allowed-host adds a name", async () => {
    await served([experiment, "--model-id", "sums-ft", "--allowed-host", "my.box"], async (client, s) => {
      assert.deepEqual(
        (await client.models.list()).data.map((m) => m.id),
        ["sums-ft"],
      );
      assert.equal((await client.models.retrieve("sums-ft")).id, "sums-ft");
      assert.equal((await ask(client, "sums-ft")).choices.length, 1);
      assert.equal((await rawHttp(s.port, "/v1/models", { headers: { host: "my.box" } })).status, 200);
      assert.equal((await rawHttp(s.port, "/v1/models", { headers: { host: "other.box" } })).status, 403);
    });
    await served([TINY], async (client) => {
      assert.deepEqual(
        (await client.models.list()).data.map((m) => m.id),
        ["tiny-llama"],
      );
    });
  });
});
