import OpenAI from "openai";
import { DatagenOutputError } from "./datagen-output-error";

/** How one call is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Delay before the first retry; doubles each time (with full jitter). */
  baseDelayMs: number;
  /** Cap on one delay. */
  maxDelayMs: number;
}

/**
 * Whether an error is worth retrying: rate limits (429), server errors (5xx), timeouts, dropped
 * connections, and unusable model output (a fresh sample may parse).
 * @param error - what a call threw
 * @returns true when a retry may succeed
 * @example
 * ```ts
 * isRetryable(new OpenAI.RateLimitError(429, undefined, "busy", new Headers())); // true
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DatagenOutputError) return true;
  if (error instanceof OpenAI.APIUserAbortError) return false;
  if (error instanceof OpenAI.APIConnectionError) return true; // includes APIConnectionTimeoutError
  if (error instanceof OpenAI.APIError)
    return error.status === 408 || error.status === 429 || (error.status ?? 0) >= 500;
  return false;
}

/** Seconds from a `retry-after` header, when the error carries one. */
function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof OpenAI.APIError)) return undefined;
  const value = error.headers?.get?.("retry-after");
  const seconds = value ? Number(value) : Number.NaN;
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/**
 * Delay before retry number `attempt` (0-based): full jitter over `base · 2^attempt`, capped, or the
 * server's `retry-after` when it sent one (capped too).
 * @param policy - the retry policy
 * @param attempt - retries already made
 * @param error - the error being retried
 * @param random - a source of uniform [0, 1) numbers
 * @returns milliseconds to wait
 * @example
 * ```ts
 * backoffDelay({ maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000 }, 2, new Error("x"), () => 0.5); // 200
 * ```
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  error: unknown,
  random = Math.random,
): number {
  const told = retryAfterMs(error);
  if (told !== undefined) return Math.min(told, policy.maxDelayMs);
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/**
 * Waits `ms`, or less if `signal` fires.
 * @param ms - milliseconds
 * @param signal - cancels the wait
 * @returns when the time is up or the signal fired
 * @example
 * ```ts
 * await sleep(100, controller.signal);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The outcome of a retried call. */
export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: unknown; attempts: number; lastOutput?: string };

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, retries run out, or `signal` fires.
 * @param fn - the call; receives the 0-based attempt number
 * @param policy - retry counts and delays
 * @param signal - stops retrying (the current attempt should observe it too)
 * @param onRetry - called before each retry
 * @returns the value, or the last error, with the number of attempts made
 * @example
 * ```ts
 * const r = await withRetry(() => client.models.list(), { maxRetries: 3, baseDelayMs: 200, maxDelayMs: 5000 });
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<RetryOutcome<T>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { ok: true, value: await fn(attempt), attempts: attempt + 1 };
    } catch (error) {
      const last = { ok: false as const, error, attempts: attempt + 1 };
      if (signal?.aborted || attempt >= policy.maxRetries || !isRetryable(error)) {
        return error instanceof DatagenOutputError ? { ...last, lastOutput: error.output } : last;
      }
      onRetry?.(error, attempt);
      await sleep(backoffDelay(policy, attempt, error), signal);
      if (signal?.aborted) return last;
    }
  }
}
