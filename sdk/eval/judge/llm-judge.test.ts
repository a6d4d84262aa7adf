import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { sentenceBleuScores } from "../text/bleu";
import { llmJudge } from "./llm-judge";

// TEST DOUBLE: a minimal OpenAI-shaped /v1/chat/completions server on loopback. Each row's prompt carries a
// "case:<name>" marker that chooses the server's behaviour; every request is recorded.
type Behaviour = (attempt: number) => {
  status: number;
  body?: string;
  delayMs?: number;
  headers?: Record<string, string>;
};
const completion = (content: string) =>
  JSON.stringify({
    id: "x",
    object: "chat.completion",
    created: 0,
    model: "judge-double",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
  });
const ok = (content: string) => ({ status: 200, body: completion(content) });
const BEHAVIOURS: Record<string, Behaviour> = {
  good: () => ok("EXPLANATION: correct and complete.\nSCORE: 1"),
  chatty: () => ok("Well, it misses the second point, so I'd give it 3/10 because of that."),
  mtbench: () => ok("Decent.\nRating: [[7]]"),
  ratelimited: (n) =>
    n === 0 ? { status: 429, body: "{}", headers: { "retry-after-ms": "5" } } : ok("SCORE: 0.5"),
  flaky500: (n) =>
    n < 2 ? { status: 500, body: "{}", headers: { "retry-after-ms": "5" } } : ok("SCORE: 0.25"),
  slow: (n) => (n === 0 ? { ...ok("SCORE: 0"), delayMs: 1500 } : ok("SCORE: 0.75")),
  garbled: () => ok("I really cannot decide."),
  garbledOnce: (n) => (n === 0 ? ok("Hmm.") : ok("SCORE: 0.9")),
  down: () => ({ status: 503, body: "{}", headers: { "retry-after-ms": "5" } }),
  notJson: () => ({
    status: 200,
    body: "<html>oops</html>",
    headers: { "content-type": "application/json" },
  }),
};

const requests: { case: string; system: string; model: string; at: number }[] = [];
const attempts = new Map<string, number>();
let inFlight = 0;
let maxInFlight = 0;
let server: Server;
let baseURL = "";

before(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += c;
    });
    req.on("end", () => {
      const body = JSON.parse(raw);
      const user: string = body.messages[1].content;
      const marker = /case:(\w+)#(\d+)/.exec(user);
      const name = marker?.[1] ?? "good";
      const key = marker ? `${marker[1]}#${marker[2]}` : "none";
      const n = attempts.get(key) ?? 0;
      attempts.set(key, n + 1);
      requests.push({ case: name, system: body.messages[0].content, model: body.model, at: Date.now() });
      const b = BEHAVIOURS[name](n);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        if (res.destroyed) return;
        res.writeHead(b.status, { "content-type": "application/json", ...b.headers });
        res.end(b.body);
      }, b.delayMs ?? 20);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function rows(cases: string[]) {
  return {
    prompts: cases.map((c, i) => `Question for case:${c}#${i}${Math.random().toString(36).slice(2, 6)}`),
    predictions: cases.map(() => "four"),
    references: cases.map(() => "4"),
  };
}

test("scores, explanations, concurrency limit and chatty answers", async () => {
  maxInFlight = 0;
  const judge = llmJudge({ baseURL, apiKey: "k", model: "judge-double", concurrency: 2 });
  const r = await judge.compute(rows(["good", "chatty", "good", "chatty", "good", "good"]));
  assert.deepEqual(r.perRow, [1, 0.3, 1, 0.3, 1, 1]);
  assert.ok(Math.abs(r.value - 4.6 / 6) < 1e-12);
  assert.match(r.explanations?.[1] ?? "", /3\/10/);
  assert.equal(maxInFlight, 2);
  assert.equal(r.warnings.length, 0);
  assert.ok(requests.every((q) => q.model === "judge-double" && q.system.length > 0));
  const mt = await llmJudge({ baseURL, apiKey: "k", template: "mt-bench" }).compute(rows(["mtbench"]));
  assert.deepEqual([mt.value, mt.details?.scale], [7, [1, 10]]);
});

test("429, 5xx and timeouts are retried; failures and unreadable answers are kept per row", async () => {
  const warnings: string[] = [];
  const judge = llmJudge({
    baseURL,
    apiKey: "k",
    timeoutMs: 400,
    maxRetries: 2,
    onWarning: (w) => {
      warnings.push(w);
    },
  });
  const input = rows(["ratelimited", "flaky500", "slow", "garbledOnce", "garbled", "down", "notJson"]);
  const r = await judge.compute(input);
  assert.deepEqual(r.perRow?.slice(0, 4), [0.5, 0.25, 0.75, 0.9]);
  assert.ok(r.perRow?.slice(4).every(Number.isNaN));
  assert.match(r.explanations?.[4] ?? "", /unparseable judge answer: I really cannot decide/);
  assert.match(r.explanations?.[5] ?? "", /judge request failed/);
  assert.ok(Math.abs(r.value - (0.5 + 0.25 + 0.75 + 0.9) / 4) < 1e-12);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /3 of 7 rows got no score/);
  assert.deepEqual(warnings, r.warnings);
  const count = (c: string) => requests.filter((q) => q.case === c).length;
  assert.equal(count("ratelimited"), 2);
  assert.equal(count("flaky500"), 3);
  assert.equal(count("slow"), 2);
  assert.equal(count("garbled"), 2); // asked again once (parseRetries = 1)
  assert.equal(count("down"), 3); // 1 + maxRetries
});

test("without an endpoint the judge falls back to BLEU with a visible warning", async () => {
  const warnings: string[] = [];
  const judge = llmJudge({ env: false, onWarning: (w) => warnings.push(w) });
  const input = {
    predictions: ["the cat sat on the mat", "a dog"],
    references: ["the cat sat on a mat", "the dog"],
  };
  const r = await judge.compute(input);
  const bleu = sentenceBleuScores(input);
  assert.deepEqual(r.perRow, bleu);
  assert.equal(r.value, (bleu[0] + bleu[1]) / 2);
  assert.equal(r.details?.fallback, "bleu");
  assert.equal(warnings.length, 1);
  assert.match(r.warnings[0], /falling back to sentence-mean BLEU/);
});
