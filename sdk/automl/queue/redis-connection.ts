/** Connecting to the Redis server of a search's job queue, failing fast with the address when it is down. */

import type { Redis } from "ioredis";
import { ConfigError } from "../../errors";
import { importQueueModule } from "./queue-modules";
import { QueueUnreachableError } from "./queue-unreachable-error";

/**
 * Opens an ioredis connection for BullMQ (`maxRetriesPerRequest: null`). The first connection is tried once
 * (within `timeoutMs`); once connected, a lost connection is retried as ioredis does.
 * @param url - `redis://[user:password@]host:port[/db]`
 * @param timeoutMs - how long the first connection may take (default 5000)
 * @returns the connected client
 * @throws ConfigError for a URL that is not redis:// or rediss://; QueueUnreachableError when nothing answers
 * @example
 * ```ts
 * const redis = await connectRedis("redis://127.0.0.1:6379");
 * ```
 */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) {
    const message = `expected a Redis address like redis://127.0.0.1:6379, got '${url}'`;
    throw new ConfigError([{ path: ["queue", "url"], message }], { source: "search queue" });
  }
  // Loaded here, not at import: ioredis and BullMQ cost about a second of start-up that only queued searches need.
  const { Redis: RedisClient } = await importQueueModule("ioredis");
  let connected = false;
  let lastError = "no answer";
  const redis = new RedisClient(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: timeoutMs,
    retryStrategy: (times) => (connected ? Math.min(times * 200, 2000) : null),
  });
  redis.on("error", (e: Error) => {
    lastError = e.message;
  });
  try {
    await redis.connect();
    connected = true;
  } catch (e) {
    redis.disconnect();
    // ioredis rejects with "Connection is closed."; the socket's own error says why.
    const detail = lastError === "no answer" ? (e as Error).message : lastError;
    throw new QueueUnreachableError(url, detail, { cause: e });
  }
  return redis;
}
