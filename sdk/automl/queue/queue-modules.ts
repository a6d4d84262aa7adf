/**
 * The job-queue libraries, loaded only when a search runs on workers: `bullmq` and `ioredis` are optional peer
 * dependencies of tunebook, so an install that never uses workers does not carry them.
 */

/** The install command shown when they are missing (the versions tunebook is tested with). */
export const QUEUE_INSTALL = "npm install -E bullmq@6.7.6 ioredis@6.1.0";

/**
 * Imports a queue library.
 * @param name - `bullmq` or `ioredis`
 * @returns the module
 * @throws Error saying how to install it, when it is not installed
 * @example
 * ```ts
 * const { Queue } = await importQueueModule("bullmq");
 * ```
 */
export async function importQueueModule<N extends "bullmq" | "ioredis">(
  name: N,
): Promise<N extends "bullmq" ? typeof import("bullmq") : typeof import("ioredis")> {
  try {
    return await import(name);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new Error(
        `search workers need the optional package '${name}', which is not installed; install the queue libraries with \`${QUEUE_INSTALL}\``,
      );
    }
    throw error;
  }
}
