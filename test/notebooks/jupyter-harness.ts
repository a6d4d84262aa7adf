/**
 * A real Jupyter server and kernel for end-to-end notebook tests: installs the tunebook kernel into a temp
 * prefix, starts Debian's `jupyter_server` on loopback with a token and a free port, starts kernels through
 * `@jupyterlab/services`, runs cells while collecting their iopub messages, interrupts, and shuts everything
 * down with timeouts. Reusable: the lead's `fit()` notebook tests can drive the same harness.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { type Kernel, KernelManager, type KernelMessage, ServerConnection } from "@jupyterlab/services";
import { installKernel } from "../../kernel-extensions";

/** Python with Jupyter (Debian's). */
export const PYTHON = "/usr/bin/python3";

/** Writes a notebook of code cells (`sources`, not yet run) for the kernel `kernelspec` to `file`. */
export function writeNotebook(
  file: string,
  sources: string[],
  kernelspec: { name: string; display_name: string; language: string },
): void {
  const cells = sources.map((source, i) => ({
    cell_type: "code",
    id: `c${i}`,
    metadata: {},
    source,
    outputs: [],
    execution_count: null,
  }));
  writeFileSync(file, JSON.stringify({ cells, metadata: { kernelspec }, nbformat: 4, nbformat_minor: 5 }));
}

/**
 * Rejects after `ms` with a message naming what timed out.
 * @param p - the promise to wait for
 * @param ms - milliseconds
 * @param what - description for the error
 * @returns `p`'s value
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** What a cell produced. */
export interface CellRun {
  /** `ok`, `error` or `aborted`, from the execute_reply. */
  status: string;
  /** Every iopub message for this cell, in arrival order. */
  iopub: KernelMessage.IIOPubMessage[];
  /** stdout + stderr text. */
  text(): string;
}

/** A running cell whose messages can be watched before it ends. */
export interface RunningCell {
  readonly iopub: KernelMessage.IIOPubMessage[];
  /** Resolves when the kernel replied and went idle. */
  done: Promise<CellRun>;
}

/** A started kernel. */
export class KernelSession {
  /** Every iopub message of this kernel, including those sent after their cell's reply (background work). */
  readonly allIopub: KernelMessage.IIOPubMessage[] = [];

  constructor(readonly kernel: Kernel.IKernelConnection) {
    kernel.iopubMessage.connect((_, msg) => {
      this.allIopub.push(msg);
    });
  }

  /** When the last cell ended with an error (tslab aborts requests arriving within 200 ms of one; 300 ms was not always enough here). */
  private lastErrorAt = 0;

  /**
   * Starts a cell and returns at once; `done` resolves with its reply and messages. After a failed cell it
   * waits until tslab's 200 ms abort window has passed before sending (tslab's stop-on-error behaviour).
   * @param code - the cell source
   */
  start(code: string): RunningCell {
    const iopub: KernelMessage.IIOPubMessage[] = [];
    const wait = Math.max(0, this.lastErrorAt + 1000 - Date.now());
    const done = new Promise((r) => setTimeout(r, wait)).then(async () => {
      const future = this.kernel.requestExecute({ code, stop_on_error: false, allow_stdin: false });
      future.onIOPub = (msg) => {
        iopub.push(msg);
      };
      const reply = await future.done;
      const status = String(reply.content.status);
      if (status !== "ok") this.lastErrorAt = Date.now();
      return {
        status,
        iopub,
        text: () =>
          iopub
            .filter((m) => m.header.msg_type === "stream")
            .map((m) => (m.content as { text: string }).text)
            .join(""),
      };
    });
    return { iopub, done };
  }

  /**
   * Runs a cell to completion.
   * @param code - the cell source
   * @param timeoutMs - limit
   */
  async run(code: string, timeoutMs = 60_000): Promise<CellRun> {
    return withTimeout(this.start(code).done, timeoutMs, `cell: ${code.slice(0, 60)}`);
  }

  /** Sends an interrupt (SIGINT) through the server. */
  async interrupt(timeoutMs = 10_000): Promise<void> {
    await withTimeout(this.kernel.interrupt(), timeoutMs, "kernel interrupt");
  }

  /** Shuts the kernel down. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    await withTimeout(this.kernel.shutdown(), timeoutMs, "kernel shutdown").catch(() => {});
    this.kernel.dispose();
  }
}

/** A Jupyter server with the tunebook kernel installed in a temp prefix. */
export class JupyterHarness {
  private manager: KernelManager | undefined;
  private readonly sessions: KernelSession[] = [];

  private constructor(
    /** Temp folder holding the prefix, runtime and config dirs. */
    readonly dir: string,
    /** The kernels' prefix: `JUPYTER_PATH=<prefix>/share/jupyter`. */
    readonly prefix: string,
    readonly kernelName: string,
    readonly baseUrl: string,
    readonly token: string,
    private readonly server: ChildProcess,
    private readonly log: string[],
  ) {}

  /** Environment for Jupyter processes that should see the temp prefix only (isolated config/runtime). */
  static env(dir: string, prefix: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
      JUPYTER_CONFIG_DIR: path.join(dir, "config"),
      JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
      JUPYTER_DATA_DIR: path.join(dir, "data"),
      JUPYTER_PLATFORM_DIRS: "1",
    };
  }

  /**
   * Installs the kernel into a fresh temp prefix and starts a server on a free loopback port.
   * @param options - `kernelName` (default `tunebook-test`), `rootDir` for notebooks (default: the temp dir)
   */
  static async start(
    options: { kernelName?: string; rootDir?: string; timeoutMs?: number } = {},
  ): Promise<JupyterHarness> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-jupyter-"));
    const prefix = path.join(dir, "prefix");
    for (const d of ["config", "runtime", "data"]) mkdirSync(path.join(dir, d));
    const kernelName = options.kernelName ?? "tunebook-test";
    installKernel({ prefix, name: kernelName, python: PYTHON, linkPackage: false });
    const port = await freePort();
    const token = randomBytes(16).toString("hex");
    const args = [
      "-m",
      "jupyter_server",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
    ];
    args.push(
      "--ServerApp.port_retries=0",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${options.rootDir ?? dir}`,
    );
    if (process.getuid?.() === 0) args.push("--allow-root");
    const server = spawn(PYTHON, args, {
      env: JupyterHarness.env(dir, prefix),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log: string[] = [];
    server.stdout?.on("data", (b) => log.push(String(b)));
    server.stderr?.on("data", (b) => log.push(String(b)));
    const baseUrl = `http://127.0.0.1:${port}/`;
    const h = new JupyterHarness(dir, prefix, kernelName, baseUrl, token, server, log);
    try {
      await withTimeout(
        h.waitReady(),
        options.timeoutMs ?? 30_000,
        `jupyter server start; log:\n${log.join("")}`,
      );
    } catch (e) {
      await h.shutdown();
      throw e;
    }
    return h;
  }

  private async waitReady(): Promise<void> {
    for (;;) {
      if (this.server.exitCode !== null) throw new Error(`jupyter server exited: ${this.log.join("")}`);
      try {
        const r = await fetch(`${this.baseUrl}api/status`, {
          headers: { Authorization: `token ${this.token}` },
        });
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The server's log so far (for failure messages). */
  serverLog(): string {
    return this.log.join("");
  }

  /**
   * Starts a kernel of the installed kernelspec.
   * @param timeoutMs - limit for start and first idle
   */
  async startKernel(timeoutMs = 60_000): Promise<KernelSession> {
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: this.baseUrl,
      token: this.token,
      appendToken: true,
    });
    this.manager ??= new KernelManager({ serverSettings });
    await withTimeout(this.manager.ready, timeoutMs, "kernel manager ready");
    const kernel = await withTimeout(
      this.manager.startNew({ name: this.kernelName }),
      timeoutMs,
      "kernel start",
    );
    await withTimeout(kernel.info, timeoutMs, "kernel info reply");
    const s = new KernelSession(kernel);
    this.sessions.push(s);
    return s;
  }

  /** Shuts down kernels and the server, and removes the temp folder. */
  async shutdown(): Promise<void> {
    for (const s of this.sessions) await s.shutdown();
    this.manager?.dispose();
    if (this.server.exitCode === null) {
      const exited = new Promise((r) => this.server.once("exit", r));
      this.server.kill("SIGTERM");
      await withTimeout(exited, 10_000, "server exit").catch(() => this.server.kill("SIGKILL"));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
