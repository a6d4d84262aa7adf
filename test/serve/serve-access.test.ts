/**
 * Access control over raw sockets: the API key guards what the router serves whatever the spelling of the
 * URL (percent-encoding, double slashes, dot segments, absolute form, case, trailing slash, `;` parameters,
 * queries), and a loopback server refuses requests addressed to another host name (DNS rebinding).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { hostAllowed, parseAuthority } from "../../sdk/serve/access-control";
import { FOX, withServer } from "./helpers";
import { rawHttp } from "./raw-http";

const MODEL = "scripted-test-double";
const KEY = "s3cret";
const chat = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
const completion = JSON.stringify({ model: MODEL, prompt: "hi", max_tokens: 2 });

/** The endpoints that reach the model, with the body each needs. */
const ENDPOINTS: { path: string; body?: string }[] = [
  { path: "/v1/chat/completions", body: chat },
  { path: "/v1/completions", body: completion },
  { path: "/v1/models" },
  { path: `/v1/models/${MODEL}` },
];

const pct = (c: string, lower = false) => {
  const hex = c.charCodeAt(0).toString(16).padStart(2, "0");
  return `%${lower ? hex : hex.toUpperCase()}`;
};

/** Many spellings of `path`, each a request target sent as-is. */
function spellings(path: string, port: number): string[] {
  const out = new Set<string>([path]);
  for (let i = 0; i < path.length; i++) {
    if (path[i] === "/") {
      out.add(`${path.slice(0, i)}${pct("/")}${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}//${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}/./${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}/%2e/${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}/x/../${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}/x/%2E%2E/${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}\\${path.slice(i + 1)}`);
    } else {
      out.add(`${path.slice(0, i)}${pct(path[i])}${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}${pct(path[i], true)}${path.slice(i + 1)}`);
      out.add(`${path.slice(0, i)}${path[i].toUpperCase()}${path.slice(i + 1)}`);
    }
  }
  const segments = path.split("/");
  for (let s = 1; s < segments.length; s++) {
    const withParam = [...segments];
    withParam[s] = `${withParam[s]};x=1`;
    out.add(withParam.join("/"));
  }
  out.add([...path].map((c) => (c === "/" ? c : pct(c))).join(""));
  out.add([...path].map((c) => pct(c)).join(""));
  out.add(path.toUpperCase());
  out.add(`${path}/`);
  out.add(`${path}//`);
  out.add(`${path}/.`);
  out.add(`${path}?a=1`);
  out.add(`${path}?`);
  out.add(`${path}#frag`);
  out.add(`${path};x=1`);
  out.add(`${path}%3Fa=1`);
  out.add(`/${path}`);
  out.add(`${path}%00`);
  out.add(`.${path}`);
  out.add(path.slice(1));
  out.add(`/${segments[1]}/${pct(segments[2][0])}${segments[2].slice(1)}/${segments.slice(3).join("/")}`);
  for (const origin of [
    `http://127.0.0.1:${port}`,
    `HTTP://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    `https://127.0.0.1:${port}`,
    `http://user:pw@127.0.0.1:${port}`,
    "http://evil.example",
    `http://127.0.0.1:${port}/`,
    `ws://127.0.0.1:${port}`,
  ]) {
    out.add(`${origin}${path}`);
    out.add(`${origin}${path}?a=1`);
    out.add(`${origin}${path.slice(0, 1)}%76${path.slice(2)}`);
    out.add(`${origin}/${path}`);
  }
  return [...out];
}

describe("serve: the API key guards every spelling of every URL", () => {
  test("the requests of the issue: a percent-encoded path and an absolute-form target need the key", async () => {
    await withServer({ script: () => FOX }, { apiKey: KEY }, async ({ server, model }) => {
      const port = server.port;
      for (const target of ["/%761/chat/completions", `http://127.0.0.1:${port}/v1/chat/completions`]) {
        const none = await rawHttp(port, target, { body: chat });
        assert.equal(none.status, 401, `${target} without the key: ${none.status} ${none.body}`);
        assert.equal(JSON.parse(none.body).error.code, "invalid_api_key");
        const ok = await rawHttp(port, target, { body: chat, headers: { authorization: `Bearer ${KEY}` } });
        assert.equal(ok.status, 200, `${target} with the key: ${ok.status} ${ok.body}`);
      }
      assert.equal(model.calls.length, 2, "only the two requests with the key reached the model");
    });
  });

  test("fuzz: no spelling reaches the model without the key; the legitimate ones work with it", async () => {
    await withServer({ script: () => FOX }, { apiKey: KEY }, async ({ server, model }) => {
      const port = server.port;
      let served = 0;
      let tried = 0;
      for (const { path, body } of ENDPOINTS) {
        for (const target of spellings(path, port)) {
          tried++;
          const before = model.calls.length;
          const none = await rawHttp(port, target, { body });
          assert.ok(
            none.status === 401 || none.status === 403 || none.status === 400,
            `${target} without the key answered ${none.status}: ${none.body.slice(0, 200)}`,
          );
          assert.ok(!none.body.includes("The quick") && !none.body.includes('"object":"list"'), target);
          assert.equal(model.calls.length, before, `${target} reached the model without the key`);
          const wrong = await rawHttp(port, target, { body, headers: { authorization: "Bearer s3cre" } });
          assert.notEqual(wrong.status, 200, `${target} with a wrong key answered 200`);
          const withKey = await rawHttp(port, target, { body, headers: { authorization: `Bearer ${KEY}` } });
          if (withKey.status === 200) served++;
          if (withKey.status === 200 && body) assert.match(withKey.body, /The quick/, target);
        }
        // The plain spellings clients send still work with the key.
        for (const target of [
          path,
          `${path}?a=1`,
          `http://127.0.0.1:${port}${path}`,
          `http://localhost:${port}${path}`,
          `${path.slice(0, 1)}%76${path.slice(2)}`,
        ]) {
          const ok = await rawHttp(port, target, { body, headers: { authorization: `Bearer ${KEY}` } });
          assert.equal(ok.status, 200, `${target} with the key: ${ok.status} ${ok.body.slice(0, 200)}`);
        }
      }
      assert.ok(tried > 400, `only ${tried} spellings`);
      assert.ok(served >= 20, `only ${served} spellings were served with the key`);
    });
  });

  test("unknown URLs need the key too; /health stays public", async () => {
    await withServer({}, { apiKey: KEY }, async ({ server }) => {
      const port = server.port;
      assert.equal((await rawHttp(port, "/v1/embeddings", { body: "{}" })).status, 401);
      assert.equal((await rawHttp(port, "/nothing")).status, 401);
      const unknown = await rawHttp(port, "/nothing", { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(unknown.status, 404);
      assert.equal((await rawHttp(port, "/health")).status, 200);
      assert.equal((await rawHttp(port, "/%68ealth")).status, 200);
    });
  });
});

describe("serve: the Host check against DNS rebinding", () => {
  test("a keyless loopback server answers only requests addressed to its own names", async () => {
    await withServer({ script: () => FOX }, {}, async ({ server, model }) => {
      const port = server.port;
      for (const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        `[::1]:${port}`,
        "localhost",
        "LOCALHOST.",
      ]) {
        const r = await rawHttp(port, "/v1/models", { headers: { host } });
        assert.equal(r.status, 200, `Host: ${host} → ${r.status} ${r.body}`);
      }
      for (const host of [
        `evil.example:${port}`,
        "evil.example",
        `127.0.0.1:${port + 1}`,
        `localhost.evil.example:${port}`,
        `127.0.0.1.nip.io:${port}`,
      ]) {
        const r = await rawHttp(port, "/v1/chat/completions", { body: chat, headers: { host } });
        assert.equal(r.status, 403, `Host: ${host} → ${r.status} ${r.body}`);
        const error = JSON.parse(r.body).error;
        assert.equal(error.code, "host_not_allowed");
        assert.match(error.message, /DNS rebinding.*--allowed-host/);
      }
      const absolute = await rawHttp(port, "http://evil.example/v1/chat/completions", { body: chat });
      assert.equal(absolute.status, 403, "an absolute-form target names the host, whatever Host says");
      assert.equal((await rawHttp(port, "/health", { headers: { host: "evil.example" } })).status, 403);
      assert.equal(model.calls.length, 0);
    });
  });

  test("allowedHosts adds names, with any port", async () => {
    await withServer({}, { allowedHosts: ["my.box"] }, async ({ server }) => {
      const port = server.port;
      assert.equal((await rawHttp(port, "/v1/models", { headers: { host: "my.box:9999" } })).status, 200);
      assert.equal((await rawHttp(port, "/v1/models", { headers: { host: "other.box" } })).status, 403);
    });
  });

  test("hostAllowed and parseAuthority", () => {
    const policy = { host: "127.0.0.1", port: () => 8000, allowedHosts: [] };
    assert.deepEqual(parseAuthority("[::1]:8000"), { name: "::1", port: 8000 });
    assert.deepEqual(parseAuthority("Example.COM."), { name: "example.com", port: undefined });
    assert.equal(hostAllowed(policy, "[::1]:8000"), true);
    assert.equal(hostAllowed(policy, "[::1]:8001"), false);
    assert.equal(hostAllowed(policy, "attacker.example:8000"), false);
    // A server bound elsewhere (it needs an API key) checks Host only when allowedHosts is given.
    assert.equal(hostAllowed({ ...policy, host: "0.0.0.0" }, "any.name"), true);
    assert.equal(hostAllowed({ ...policy, host: "0.0.0.0", allowedHosts: ["a.lan"] }, "any.name"), false);
    assert.equal(hostAllowed({ ...policy, host: "0.0.0.0", allowedHosts: ["a.lan"] }, "A.lan:80"), true);
  });
});
