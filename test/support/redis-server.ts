/**
 * A real Redis server for the search-queue tests: Debian's `redis-server` on a free loopback port, nothing
 * saved to disk, stopped by the test. A machine without it fails the test with how to install it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import net from "node:net";

/** A running Redis server. */
export interface RedisServer {
  /** e.g. `redis://127.0.0.1:40123` */
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGKILL: there is nothing to save). */
  stop(): void;
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server --save "" --appendonly no --port <free port> --bind 127.0.0.1`.
 * @returns the server, once it accepts connections
 * @throws Error saying how to install redis-server when it is not on PATH
 */
export async function startRedisServer(): Promise<RedisServer> {
  const which = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (which.error || which.status !== 0) {
    throw new Error(
      "the search-queue tests need Debian's redis-server, which is not installed here: run " +
        "`apt-get install redis-server` (CI installs it with .ci/install-system-deps.sh)",
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--save", "", "--appendonly", "no", "--port", String(port), "--bind", "127.0.0.1"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on("data", (d) => {
      output += d;
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => child.kill("SIGKILL") };
}
