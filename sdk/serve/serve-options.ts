import { z } from "zod";
import { parseOptions } from "../errors";
import type { ServableModel } from "./servable-model";

const isServableModel = (m: unknown): m is ServableModel => {
  const o = m as Partial<ServableModel> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.id === "string" &&
    typeof o.contextLength === "number" &&
    typeof o.countTokens === "function" &&
    typeof o.applyChatTemplate === "function" &&
    typeof o.generate === "function"
  );
};

/** Options of {@link serve}: the schema is the single source of fields and defaults. */
export const serveOptionsSchema = z
  .object({
    /** The model to serve. */
    model: z.custom<ServableModel>(isServableModel, {
      message: "expected a ServableModel (id, contextLength, countTokens, applyChatTemplate, generate)",
    }),
    /** Interface to bind; loopback by default. Any other host requires `apiKey`. */
    host: z.string().min(1).default("127.0.0.1"),
    /** TCP port; 0 picks a free one. */
    port: z.number().int().min(0).max(65535).default(8000),
    /** Clients must send `Authorization: Bearer <apiKey>` for every URL but `/health`. */
    apiKey: z.string().min(1, "the API key is empty; leave apiKey out to serve without a key").optional(),
    /**
     * Host names (any port) requests may be addressed to, besides `localhost`, `127.0.0.1`, `[::1]` and the
     * bound host. A loopback server always checks the `Host` header (DNS-rebinding protection); a server
     * bound elsewhere checks it only when this list is given.
     */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Largest request body accepted, in bytes (413 above). */
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Requests allowed to wait for the model; more get 429 `rate_limit_exceeded`. */
    maxQueue: z.number().int().min(0).default(256),
    /** Log each request (fastify's JSON logger, to stdout). Off by default: the SDK never prints unasked. */
    logRequests: z.boolean().default(false),
  })
  .superRefine((o, ctx) => {
    if (!isLoopback(o.host) && o.apiKey === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["apiKey"],
        message: `an apiKey is required when binding to the non-loopback host '${o.host}'; set apiKey or use host 127.0.0.1`,
      });
    }
  });

/** Options of {@link serve} as the caller writes them. */
export type ServeOptions = z.input<typeof serveOptionsSchema>;
/** Options of {@link serve} with defaults filled in. */
export type ResolvedServeOptions = z.output<typeof serveOptionsSchema>;

/**
 * Whether `host` is a loopback address (only this machine can connect).
 * @param host - a host name or IP
 * @returns true for localhost, 127.0.0.0/8 and ::1
 * @example
 * ```ts
 * isLoopback("127.0.0.1"); // true
 * ```
 */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Validates serve options.
 * @param options - the caller's options
 * @returns options with defaults
 * @throws {ConfigError} listing every invalid field
 * @example
 * ```ts
 * const o = parseServeOptions({ model, port: 0 });
 * ```
 */
export function parseServeOptions(options: ServeOptions): ResolvedServeOptions {
  return parseOptions(serveOptionsSchema, options, "serve options");
}
