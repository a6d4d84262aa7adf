/**
 * The one place that talks to tslab's display API. A library cannot `require("tslab")` itself (it would get a
 * copy that throws "Not ready"); inside a kernel the live API is reachable as
 * `globalThis.__tslab__.require("tslab")`. Outside a kernel every function here reports "no kernel".
 */

/** One display entry in a notebook: each call replaces what the entry shows (one MIME type per call). */
export interface TslabDisplay {
  html(s: string): void;
  text(s: string): void;
}

/** The part of tslab's public module tunebook uses. */
export interface TslabApi {
  /** A display entry that is created by its first write and updated in place by later ones. */
  newDisplay(): TslabDisplay;
  /** Appends a fresh, non-updatable display entry. */
  display: TslabDisplay;
}

interface TslabGlobal {
  require?: (id: string) => unknown;
}

/**
 * Returns the running tslab kernel's display API, or `undefined` outside a tslab kernel (plain node, tests).
 *
 * @returns the kernel's tslab module, or `undefined`
 * @throws never
 * @example
 * ```ts
 * const api = tslabApi();
 * if (api) api.display.html("<b>in a notebook</b>");
 * ```
 */
export function tslabApi(): TslabApi | undefined {
  const g = (globalThis as { __tslab__?: TslabGlobal }).__tslab__;
  if (!g || typeof g.require !== "function") return undefined;
  try {
    const mod = g.require("tslab") as Partial<TslabApi> | undefined;
    if (mod && typeof mod.newDisplay === "function" && mod.display) return mod as TslabApi;
  } catch {
    // A tslab that cannot be loaded means: no notebook display.
  }
  return undefined;
}

/**
 * Whether this code runs inside a tslab Jupyter kernel.
 *
 * @returns `true` inside tslab, `false` elsewhere
 * @throws never
 * @example
 * ```ts
 * console.log(inKernel() ? "notebook" : "terminal");
 * ```
 */
export function inKernel(): boolean {
  return tslabApi() !== undefined;
}
