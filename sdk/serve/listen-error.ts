import { TunebookError } from "../errors";

/** What to tell the user for each error code `listen` can fail with. */
const ADVICE: Record<string, (host: string, port: number) => string> = {
  EADDRINUSE: (_host, port) =>
    `port ${port} is already in use (another server, or another tunebook serve, is listening there). ` +
    "Stop it, or choose another port with --port (port in serve(); 0 picks a free one).",
  EACCES: (_host, port) =>
    `this process may not listen on port ${port} (ports below 1024 need privileges). Choose a port ≥ 1024 with --port.`,
  EADDRNOTAVAIL: (host) =>
    `${host} is not an address of this machine. Use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).`,
  ENOTFOUND: (host) =>
    `the host name ${host} does not resolve. Use --host 127.0.0.1 or an address of this machine.`,
};

/**
 * The server could not bind its address: the port is taken, privileged, or the host is not this machine's.
 *
 * @example
 * ```ts
 * try { await serve({ model, port: 8000 }); } catch (e) { if (e instanceof ListenError) console.log(e.message); }
 * ```
 */
export class ListenError extends TunebookError {
  /** The host asked for. */
  readonly host: string;
  /** The port asked for. */
  readonly port: number;
  /** The system error code, e.g. `EADDRINUSE`. */
  readonly code: string;

  /**
   * @param host - the host asked for
   * @param port - the port asked for
   * @param cause - the error `listen` threw
   */
  constructor(host: string, port: number, cause: unknown) {
    const code = String((cause as { code?: unknown } | null)?.code ?? "");
    const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const advice = ADVICE[code]?.(host, port) ?? `${(cause as Error)?.message ?? String(cause)}.`;
    super(`Cannot serve on ${where}: ${advice}`, { cause });
    this.name = "TunebookListenError";
    this.host = host;
    this.port = port;
    this.code = code;
  }
}
