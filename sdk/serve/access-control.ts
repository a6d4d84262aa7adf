/**
 * Who may use the server: requests must be addressed to one of its host names (DNS-rebinding protection) and,
 * when the server has an API key, carry it. Both checks run in one `onRequest` hook on every request, after
 * fastify has routed it, and decide on the route the router matched — never on the spelling of the URL — so
 * `/%761/models`, `//v1/models` or an absolute-form target `http://host/v1/models` are checked exactly like
 * `/v1/models`. Only routes registered with `config: { public: true }` skip the key; unknown URLs need it too.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { ApiError } from "./api-error";
import { isLoopback } from "./serve-options";

/** Route config flag of the routes that need no API key (the health check). */
export interface PublicRouteConfig {
  public?: boolean;
}

/** Names a loopback server answers to, besides its bound host. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

/** What the access check needs to know about the server. */
export interface AccessPolicy {
  /** The API key clients must send, if any. */
  apiKey?: string;
  /** The bound host, e.g. `127.0.0.1`. */
  host: string;
  /** The bound port (read when a request arrives, so it may be filled in after `listen`). */
  port: () => number;
  /** Extra host names the server answers to (any port). */
  allowedHosts: readonly string[];
}

/** The host name and port of a `Host` header or of an authority (`[::1]:8000`, `localhost`, `a.b:80`). */
export function parseAuthority(authority: string): { name: string; port?: number } {
  let name = authority.trim().toLowerCase();
  let port: number | undefined;
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(name);
  if (bracketed) {
    name = bracketed[1];
    port = bracketed[2] ? Number(bracketed[2]) : undefined;
  } else if (name.indexOf(":") === name.lastIndexOf(":") && name.includes(":")) {
    const at = name.lastIndexOf(":");
    port = at < name.length - 1 ? Number(name.slice(at + 1)) : undefined;
    name = name.slice(0, at);
  }
  return { name: name.replace(/\.$/, ""), port };
}

/**
 * Whether the host check is on: always for a loopback server (a web page could otherwise reach it through
 * DNS rebinding), and for any server given `allowedHosts`.
 * @param policy - the server's policy
 * @returns true when requests must name an allowed host
 */
export function checksHost(policy: Pick<AccessPolicy, "host" | "allowedHosts">): boolean {
  return isLoopback(policy.host) || policy.allowedHosts.length > 0;
}

/**
 * Whether a request addressed to `authority` may be served: its host name is `localhost`, `127.0.0.1`,
 * `[::1]` or the bound host with the server's port (or none), or one of `allowedHosts` with any port.
 * @param policy - the server's policy
 * @param authority - the `Host` header, or the authority of an absolute-form request target
 * @returns true when allowed (always, when the host check is off)
 * @example
 * ```ts
 * hostAllowed({ host: "127.0.0.1", port: () => 8000, allowedHosts: [] }, "localhost:8000"); // true
 * hostAllowed({ host: "127.0.0.1", port: () => 8000, allowedHosts: [] }, "evil.example:8000"); // false
 * ```
 */
export function hostAllowed(policy: AccessPolicy, authority: string): boolean {
  if (!checksHost(policy)) return true;
  const { name, port } = parseAuthority(authority);
  if (policy.allowedHosts.some((h) => parseAuthority(h).name === name)) return true;
  const own = [...LOOPBACK_NAMES, parseAuthority(policy.host).name];
  return own.includes(name) && (port === undefined || port === policy.port());
}

/** The authority a request is addressed to: that of an absolute-form target, else the `Host` header. */
function requestAuthority(request: FastifyRequest): string | undefined {
  const target = request.raw.url ?? "";
  if (!target.startsWith("/")) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(target);
    if (m) return m[1].replace(/^[^@]*@/, "");
  }
  return request.headers.host;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * The `onRequest` hook enforcing the policy.
 * @param policy - host names and API key
 * @returns a fastify hook that throws 403 `host_not_allowed` or 401 `invalid_api_key`
 * @example
 * ```ts
 * app.addHook("onRequest", accessControl({ apiKey, host, port: () => port, allowedHosts: [] }));
 * ```
 */
export function accessControl(policy: AccessPolicy) {
  const want = policy.apiKey === undefined ? undefined : sha256(policy.apiKey);
  return async (request: FastifyRequest): Promise<void> => {
    const authority = requestAuthority(request);
    if (authority !== undefined && !hostAllowed(policy, authority)) {
      const { name } = parseAuthority(authority);
      throw new ApiError({
        status: 403,
        type: "invalid_request_error",
        code: "host_not_allowed",
        message:
          `Requests addressed to the host '${name}' are refused: this server answers only to ` +
          `${[...LOOPBACK_NAMES.map((n) => (n.includes(":") ? `[${n}]` : n)), ...policy.allowedHosts].join(", ")} ` +
          "(a protection against DNS rebinding). To serve it under that name, start the server with " +
          `--allowed-host ${name} (allowedHosts in serve()).`,
      });
    }
    const config = request.routeOptions.config as PublicRouteConfig | undefined;
    if (!want || config?.public === true) return;
    const header = request.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!timingSafeEqual(sha256(given), want)) {
      throw new ApiError({
        status: 401,
        type: "invalid_request_error",
        code: "invalid_api_key",
        message: given
          ? "Incorrect API key provided. Send the server's key as 'Authorization: Bearer <key>'."
          : "No API key provided. Send the server's key as 'Authorization: Bearer <key>'.",
      });
    }
  };
}
