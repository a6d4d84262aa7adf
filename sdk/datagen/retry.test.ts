import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { DatagenOutputError } from "./datagen-output-error";
import { backoffDelay, isRetryable, withRetry } from "./retry";

const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000 };
const apiError = (status: number, headers: Record<string, string> = {}) =>
  OpenAI.APIError.generate(status, { error: { message: "x" } }, "x", new Headers(headers));

test("retryable: 429, 5xx, 408, timeouts, connection errors, bad output; not 400/401/404 or aborts", () => {
  for (const s of [408, 429, 500, 503]) assert.equal(isRetryable(apiError(s)), true, String(s));
  for (const s of [400, 401, 403, 404, 422]) assert.equal(isRetryable(apiError(s)), false, String(s));
  assert.equal(isRetryable(new OpenAI.APIConnectionTimeoutError()), true);
  assert.equal(isRetryable(new OpenAI.APIConnectionError({ message: "reset" })), true);
  assert.equal(isRetryable(new OpenAI.APIUserAbortError()), false);
  assert.equal(isRetryable(new DatagenOutputError({ output: "x", problem: "no JSON" })), true);
  assert.equal(isRetryable(new TypeError("bug")), false);
});

test("backoff: full jitter over base·2^attempt, capped; retry-after wins (capped)", () => {
  assert.equal(
    backoffDelay(policy, 0, new Error(), () => 0.999),
    99,
  );
  assert.equal(
    backoffDelay(policy, 3, new Error(), () => 0.5),
    400,
  );
  assert.equal(
    backoffDelay(policy, 10, new Error(), () => 0.5),
    500,
  );
  assert.equal(backoffDelay(policy, 0, apiError(429, { "retry-after": "0.25" })), 250);
  assert.equal(backoffDelay(policy, 0, apiError(429, { "retry-after": "30" })), 1000);
});

test("withRetry stops on success, on a non-retryable error, and after maxRetries", async () => {
  const fast = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 };
  let n = 0;
  const ok = await withRetry(async () => (++n < 3 ? Promise.reject(apiError(503)) : "done"), fast);
  assert.deepEqual(ok, { ok: true, value: "done", attempts: 3 });
  const bad = await withRetry(async () => Promise.reject(apiError(401)), fast);
  assert.equal(bad.attempts, 1);
  const out = await withRetry(
    async () => Promise.reject(new DatagenOutputError({ output: "junk", problem: "p" })),
    fast,
  );
  assert.equal(out.ok, false);
  assert.equal(out.attempts, 3);
  assert.equal(!out.ok && out.lastOutput, "junk");
});
