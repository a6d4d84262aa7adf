/**
 * Jupyter's interrupt button → an AbortSignal. The kernel receives SIGINT; tslab then rejects the awaiting cell
 * but cannot stop async work already running (a training loop keeps going). `kernelAbortSignal()` returns a
 * signal that a SIGINT aborts, so `fit({ signal })` stops after its current step and the kernel stays usable.
 * One SIGINT listener is installed per process; after it fires, the next call returns a fresh signal (re-armed
 * for the next cell run).
 */
import { inKernel } from "./tslab-bridge";

interface InterruptState {
  controller: AbortController;
  /** Whether the process-wide SIGINT listener is installed. */
  installed: boolean;
}

const KEY = Symbol.for("tunebook.kernelInterrupt");

function state(): InterruptState {
  const g = globalThis as Record<symbol, InterruptState | undefined>;
  g[KEY] ??= { controller: new AbortController(), installed: false };
  return g[KEY]!;
}

/** The reason a kernel interrupt aborts with: an `AbortError` DOMException, like `AbortSignal.abort()`. */
function interruptReason(): DOMException {
  return new DOMException("Interrupted (SIGINT from the Jupyter interrupt button or Ctrl-C)", "AbortError");
}

function onSigint(): void {
  const s = state();
  if (s.controller.signal.aborted && !inKernel()) {
    // Outside a kernel a second Ctrl-C while the first is still being honoured exits, as Node would by default.
    process.exit(130);
  }
  s.controller.abort(interruptReason());
}

/**
 * An AbortSignal fired by the next kernel interrupt (SIGINT). Call it in the cell that starts long work and pass
 * it on: `await exp.fit({ signal: kernelAbortSignal() })`. Installs one SIGINT listener per process (the first
 * call); each call after an interrupt returns a fresh, un-aborted signal. In a terminal, Ctrl-C aborts the
 * signal and a second Ctrl-C exits the process.
 *
 * @returns the current signal (shared by every call until an interrupt fires)
 * @throws never
 * @example
 * ```ts
 * const signal = kernelAbortSignal();
 * for (let step = 0; step < 1000 && !signal.aborted; step++) await new Promise((r) => setTimeout(r, 10));
 * ```
 */
export function kernelAbortSignal(): AbortSignal {
  const s = state();
  if (!s.installed) {
    // Deferred to the next macrotask, i.e. out of tslab's synchronous cell run. tslab runs each cell with
    // vm.runInThisContext({ breakOnSigint: true }); Node then removes the process's SIGINT listeners, arms its own
    // SIGINT watchdog for the run and re-adds the listeners afterwards. A listener added *during* that run leaves
    // the process without a working handler: the next SIGINT while the same cell is still awaiting terminated the
    // kernel (measured, tslab 1.0.22 / Node 20.20: Jupyter reported "restarting"). Added from a later tick, or in
    // an earlier cell that has ended, the listener receives SIGINT and the kernel survives.
    // test/notebooks/protocol.test.ts covers this (a fresh kernel whose first call is inside the fit() cell).
    setImmediate(() => process.on("SIGINT", onSigint));
    s.installed = true;
  }
  if (s.controller.signal.aborted) s.controller = new AbortController();
  return s.controller.signal;
}

/**
 * Aborts the current kernel signal as an interrupt would (for code that wants to stop work programmatically).
 * @returns nothing
 * @throws never
 * @example
 * ```ts
 * const signal = kernelAbortSignal();
 * abortKernelSignal();
 * signal.aborted; // true
 * ```
 */
export function abortKernelSignal(): void {
  state().controller.abort(interruptReason());
}
