/**
 * The tunebook kernel's entry point (kernel.json runs `node kernel-main.js kernel --config-path <file>`): this
 * package's tslab kernel, with failed cells reported the way Jupyter clients read them.
 *
 * tslab 1.0.22 prints a cell's exception (or its type errors) to stderr and answers `status: "error"` with no
 * `ename`, `evalue` or `traceback` and no `error` message, so headless clients report an empty error
 * (nbconvert: `CellExecutionError … <Error>: `). It also aborts every request queued behind a failed cell even
 * when the client asked it not to (`stop_on_error: false`, which `nbconvert --allow-errors` sends), so later
 * cells end with no output and the run exits 0. Here the kernel:
 * - sends the failure as an `error` message (ename, evalue, traceback: the error's name, message and
 *   `util.inspect` text with its stack, or the type errors) and puts the same fields in the execute_reply;
 * - honours `stop_on_error: false`: the next cells run. With the default (`true`, what "Run all" and plain
 *   `nbconvert --execute` send) queued cells are aborted as before.
 */
import path from "node:path";
import { inspect } from "node:util";

/** The fields of a Jupyter `error` message and of an `execute_reply` with status `error`. */
export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/**
 * What a failed cell reported through tslab's executor console: a thrown value (`console.error(e)`) and/or
 * TypeScript diagnostics (`console.error("%s%d:%d - %s", file, line, column, message)`).
 * @param calls - the arguments of each `console.error` call the executor made while the cell ran
 * @returns the error fields, or `undefined` when nothing was reported
 * @example
 * ```ts
 * cellError([[new RangeError("too big")]]); // { ename: "RangeError", evalue: "too big", traceback: [...] }
 * ```
 */
export function cellError(calls: readonly unknown[][]): CellError | undefined {
  const thrown = calls.filter((a) => a.length === 1).map((a) => a[0]);
  const diagnostics = calls
    .filter((a) => a.length === 5 && typeof a[0] === "string")
    .map(([, file, line, col, msg]) => `${file ? `${file} ` : ""}${line}:${col} - ${String(msg)}`);
  if (thrown.length) {
    const e = thrown[thrown.length - 1];
    const text = inspect(e);
    if (e instanceof Error || (typeof e === "object" && e !== null && "message" in e)) {
      const err = e as { name?: unknown; message?: unknown; constructor?: { name?: string } };
      const name = typeof err.name === "string" && err.name ? err.name : (err.constructor?.name ?? "Error");
      return { ename: name, evalue: String(err.message ?? ""), traceback: text.split("\n") };
    }
    return { ename: "thrown value", evalue: text, traceback: [`Uncaught ${text}`] };
  }
  if (diagnostics.length)
    return {
      ename: "TypeScript",
      evalue:
        diagnostics.length === 1 ? diagnostics[0]! : `${diagnostics.length} type errors: ${diagnostics[0]}`,
      traceback: diagnostics,
    };
  return undefined;
}

// The parts of tslab 1.0.22's kernel (dist/jupyter.js) that are patched; private to tslab, hence loose types.
interface ExecuteRequest {
  code: string;
  stop_on_error?: boolean;
}
interface TaskQueue {
  add<T>(fn: () => Promise<T>): Promise<T>;
  reset(delayMs?: number): void;
}
interface Handler {
  execQueue: TaskQueue;
  handleExecuteImpl(req: ExecuteRequest, ...rest: unknown[]): Promise<{ count: number }>;
}
interface ZmqMessage {
  content: ExecuteRequest;
  createReply(): {
    header: { msg_type: string };
    content: unknown;
    signAndSend(key: string, sock: unknown): void;
  };
}
interface Server {
  handler: { handleExecute(req: ExecuteRequest, ...rest: unknown[]): Promise<Record<string, unknown>> };
  connInfo: { key: string };
  iopub: unknown;
}
interface TslabJupyter {
  JupyterHandlerImpl: { prototype: Handler & Record<string, unknown> };
  ZmqServer: { prototype: Server & Record<string, unknown> };
}

const isExecutionCount = (e: unknown): e is { count: number; cellError?: CellError } =>
  typeof e === "object" &&
  e !== null &&
  (e as { constructor?: { name?: string } }).constructor?.name === "ExecutionCount" &&
  typeof (e as { count?: unknown }).count === "number";

/**
 * Patches tslab's kernel classes (see the module comment) and returns the `console` to give its executor:
 * while a cell runs, the executor's reports are collected for the error message instead of printed.
 * @param jupyter - tslab's `dist/jupyter.js` module
 * @param canceled - tslab's `TaskCanceledError` class (`dist/util.js`)
 * @param out - where the executor's console prints (the process's own `console`)
 * @returns the executor's console
 */
export function patchTslab(
  jupyter: TslabJupyter,
  canceled: new (...args: never[]) => Error,
  out: Pick<Console, "log" | "error">,
): { log: (...a: unknown[]) => void; error: (...a: unknown[]) => void } {
  let collecting: unknown[][] | undefined;
  const handler = jupyter.JupyterHandlerImpl.prototype;
  const run = handler.handleExecuteImpl;
  handler.handleExecuteImpl = async function (this: Handler, req: ExecuteRequest, ...rest: unknown[]) {
    collecting = [];
    try {
      return await run.call(this, req, ...rest);
    } catch (e) {
      if (isExecutionCount(e)) e.cellError = cellError(collecting);
      throw e;
    } finally {
      collecting = undefined;
    }
  };
  handler.handleExecute = async function (this: Handler, req: ExecuteRequest, ...rest: unknown[]) {
    const stopOnError = req.stop_on_error !== false;
    let status = "ok";
    let count: { count: number; cellError?: CellError } | undefined;
    try {
      // With stop_on_error false the failure resolves the queued task, so the tasks behind it still run.
      const r = await this.execQueue.add(async () => {
        try {
          return { count: await this.handleExecuteImpl(req, ...rest), failed: false };
        } catch (e) {
          if (!stopOnError && isExecutionCount(e)) return { count: e, failed: true };
          throw e;
        }
      });
      count = r.count;
      if (r.failed) status = "error";
    } catch (e) {
      if (isExecutionCount(e)) {
        status = "error";
        count = e;
      } else if (e instanceof canceled) {
        status = "abort";
      } else {
        status = "error";
        out.error("unexpected error:", e);
      }
      // tslab's own behaviour: requests that arrive within 200 ms of a failure are aborted too.
      if (status === "error") this.execQueue.reset(200);
    }
    const failure = status === "error" ? (count?.cellError ?? unexpected()) : undefined;
    return { status, execution_count: count?.count, ...failure };
  };
  const server = jupyter.ZmqServer.prototype;
  server.handleExecute = async function (this: Server, sock: unknown, msg: ZmqMessage) {
    const send = (type: string, content: unknown, to: unknown) => {
      const m = msg.createReply();
      m.header.msg_type = type;
      m.content = content;
      m.signAndSend(this.connInfo.key, to);
    };
    const writeStream = (name: string, text: string) => send("stream", { name, text }, this.iopub);
    const writeDisplayData = (data: unknown, update: boolean) =>
      send(update ? "update_display_data" : "display_data", data, this.iopub);
    const content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
    if (content.status === "error" && typeof content.ename === "string")
      send(
        "error",
        { ename: content.ename, evalue: content.evalue, traceback: content.traceback },
        this.iopub,
      );
    send("execute_reply", content, sock);
  };
  return {
    log: (...a: unknown[]) => out.log(...a),
    error: (...a: unknown[]) => {
      if (collecting) collecting.push(a);
      // Type errors stay on stderr as tslab prints them; a thrown value is shown by the error message.
      if (!collecting || a.length !== 1) out.error(...a);
    },
  };
}

function unexpected(): CellError {
  return { ename: "Error", evalue: "the cell failed (see its stderr output)", traceback: [] };
}

/**
 * Starts the kernel: `node kernel-main.js kernel --config-path <connection file> [--js]`.
 * @param argv - the arguments after the script
 */
export function startTunebookKernel(argv: readonly string[]): void {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  const jupyter = require(path.join(tslabDir, "dist", "jupyter.js")) as TslabJupyter;
  const util = require(path.join(tslabDir, "dist", "util.js")) as { TaskCanceledError: new () => Error };
  const main = require(path.join(tslabDir, "dist", "main.js")) as {
    startKernel(o: { configPath: string; enableFindLocal: boolean; jsKernel: boolean }): void;
  };
  const { log, error } = console;
  const executorConsole = patchTslab(jupyter, util.TaskCanceledError, {
    log: (...a: unknown[]) => log.apply(console, a),
    error: (...a: unknown[]) => error.apply(console, a),
  });
  const at = argv.indexOf("--config-path");
  const configPath = at >= 0 ? (argv[at + 1] ?? "") : "";
  // tslab hands `console.log` / `console.error` (read at this call) to its executor: give it ours, then put
  // the global ones back so cells' own console.error calls print as usual.
  console.log = executorConsole.log;
  console.error = executorConsole.error;
  try {
    main.startKernel({ configPath, enableFindLocal: false, jsKernel: argv.includes("--js") });
  } finally {
    console.log = log;
    console.error = error;
  }
}

if (require.main === module) startTunebookKernel(process.argv.slice(2));
