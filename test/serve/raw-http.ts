/**
 * HTTP/1.1 over a bare TCP socket: the request line is sent byte for byte as given, so tests can send what
 * `curl --path-as-is` or `curl --request-target` would (percent-encoded paths, dot segments, absolute-form
 * targets, any `Host` header), which `fetch` would normalise away.
 */
import net from "node:net";

/** A raw HTTP response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** The body, de-chunked. */
  body: string;
}

function dechunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    if (eol < 0) return out;
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/**
 * Sends one request and reads the whole response (the connection is closed after it).
 * @param port - the server's loopback port
 * @param target - the request target exactly as it goes on the request line
 * @param init - method (default GET, or POST with a body), headers (`Host` defaults to `127.0.0.1:<port>`;
 *   `null` leaves it out), JSON body
 */
export function rawHttp(
  port: number,
  target: string,
  init: { method?: string; headers?: Record<string, string | null>; body?: string } = {},
): Promise<RawResponse> {
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  const headers: Record<string, string | null> = {
    host: `127.0.0.1:${port}`,
    connection: "close",
    ...(init.body === undefined
      ? {}
      : { "content-type": "application/json", "content-length": String(Buffer.byteLength(init.body)) }),
    ...init.headers,
  };
  const head = Object.entries(headers)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const parts: Buffer[] = [];
    socket.on("data", (d) => parts.push(d));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(parts).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const lines = text.slice(0, split < 0 ? text.length : split).split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
      const hs: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const c = line.indexOf(":");
        if (c > 0) hs[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
      }
      const raw = split < 0 ? "" : text.slice(split + 4);
      resolve({ status, headers: hs, body: hs["transfer-encoding"] === "chunked" ? dechunk(raw) : raw });
    });
    socket.write(`${method} ${target} HTTP/1.1\r\n${head}\r\n${init.body ?? ""}`);
  });
}
