import pLimit from "p-limit";
import { ApiError } from "./api-error";

/**
 * Runs generations at most `concurrency` at a time, in arrival order; refuses with 429 when more than
 * `maxQueue` requests are already waiting. A job whose signal fired while it waited is skipped.
 *
 * @example
 * ```ts
 * const queue = new GenerationQueue({ concurrency: 1, maxQueue: 64 });
 * await queue.run(async () => "done", new AbortController().signal);
 * ```
 */
export class GenerationQueue {
  private readonly limit: pLimit.Limit;
  private readonly maxQueue: number;
  private readonly concurrency: number;

  /**
   * @param options - `concurrency` (generations at once) and `maxQueue` (waiting requests allowed)
   */
  constructor(options: { concurrency: number; maxQueue: number }) {
    this.limit = pLimit(options.concurrency);
    this.maxQueue = options.maxQueue;
    this.concurrency = options.concurrency;
  }

  /** Generations running now. */
  get active(): number {
    return this.limit.activeCount;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.limit.pendingCount;
  }

  /**
   * Queues `job`.
   * @param job - the work, run when a slot is free
   * @param signal - skip the job if this fires while it waits
   * @returns the job's result, or `undefined` when skipped
   * @throws {ApiError} 429 `rate_limit_exceeded` when the queue is full
   */
  run<T>(job: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
    if (this.limit.activeCount + this.limit.pendingCount >= this.concurrency + this.maxQueue) {
      throw new ApiError({
        status: 429,
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        message: `The server is busy: ${this.limit.pendingCount} requests are already waiting (maxQueue ${this.maxQueue}). Retry later.`,
      });
    }
    return this.limit(async () => (signal.aborted ? undefined : job()));
  }
}
