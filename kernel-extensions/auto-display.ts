/**
 * Notebook defaults: what `import "tunebook"` turns on inside a tslab kernel, so the natural code shows rich
 * output without extra calls.
 * - every `fit()` that brings no callbacks/signal of its own gets a live training view (progress bar + charts)
 *   and the interrupt button's AbortSignal (through `sdk/train`'s run-defaults registry);
 * - a cell whose last expression is an object with a `toHTML()` method (a `Dataset`, a `TableView`…) shows that
 *   HTML instead of `util.inspect` text (see `patchLastExpression`), and `show()` methods (`dataset.show()`)
 *   display HTML anywhere in a cell.
 * Outside a kernel nothing changes.
 */
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { setRunDefaults } from "../sdk/train";
import { setRichDisplay } from "../sdk/util";
import { kernelAbortSignal } from "./interrupt";
import { notebookTrainingView } from "./training-view";
import { tslabApi } from "./tslab-bridge";

const optionsSchema = z
  .object({
    /** Register the live training view and interrupt signal as `fit()` defaults (default true). */
    training: z.boolean().default(true),
    /** Show objects with a `toHTML()` method as HTML when a cell's last expression (default true). */
    richResults: z.boolean().default(true),
  })
  .strict();

/** Options of {@link enableNotebookDefaults}. */
export type NotebookDefaultsOptions = z.input<typeof optionsSchema>;

/** What {@link enableNotebookDefaults} turned on. */
export interface NotebookDefaults {
  /** Whether this runs inside a tslab kernel (nothing is turned on otherwise). */
  inKernel: boolean;
  /** Whether `fit()` now defaults to the training view and the interrupt signal. */
  training: boolean;
  /** Whether a cell's last expression with a `toHTML()` method now displays as HTML. */
  richResults: boolean;
}

/** An object that knows its own notebook rendering. */
interface HtmlRenderable {
  toHTML(): string;
}

const PATCHED = Symbol.for("tunebook.richLastExpression");

function isHtmlRenderable(v: unknown): v is HtmlRenderable {
  return typeof v === "object" && v !== null && typeof (v as { toHTML?: unknown }).toHTML === "function";
}

interface TslabGlobal {
  exports?: object;
  [PATCHED]?: boolean;
}

/**
 * tslab compiles a cell's last expression `e` to `exports.tsLastExpr = e` (`tsLastExpr0`, … when that name is
 * taken) and, after the cell, prints it with its own captured `console.log` when it is not null. Cells receive
 * `exports` as `__tslab__.exports`, read again for every cell: wrapping it in a Proxy lets us take an object with
 * `toHTML()` out of that assignment (so nothing is printed) and display its HTML instead.
 */
function patchLastExpression(display: (html: string) => void): boolean {
  const g = (globalThis as { __tslab__?: TslabGlobal }).__tslab__;
  if (!g || typeof g.exports !== "object" || g.exports === null) return false;
  if (g[PATCHED]) return true;
  const inner = g.exports;
  g.exports = new Proxy(inner, {
    defineProperty(target, prop, attrs) {
      if (typeof prop === "string" && /^tsLastExpr\d*$/.test(prop)) {
        const value: unknown = attrs.get ? attrs.get() : attrs.value;
        const html = isHtmlRenderable(value) ? safeHtml(value) : undefined;
        if (html !== undefined) {
          display(html);
          return true; // not defined: tslab finds no last value and prints nothing
        }
      }
      return Reflect.defineProperty(target, prop, attrs);
    },
  });
  g[PATCHED] = true;
  return true;
}

function safeHtml(value: HtmlRenderable): string | undefined {
  try {
    const html = value.toHTML();
    return typeof html === "string" ? html : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns on tunebook's notebook defaults when running inside a tslab kernel: `fit()` without callbacks or a
 * signal shows a live {@link notebookTrainingView} and stops on the interrupt button ({@link kernelAbortSignal});
 * a cell ending in an object with `toHTML()` (a `Dataset`, `dataset.head()`) shows it as an HTML table.
 * Idempotent; outside a kernel it changes nothing. `import "tunebook"` calls it.
 *
 * @param options - `training` and `richResults` switches (both default true)
 * @returns what was turned on
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * const on = enableNotebookDefaults();
 * console.log(on.inKernel ? "live training view on" : "not in a notebook");
 * ```
 */
export function enableNotebookDefaults(options: NotebookDefaultsOptions = {}): NotebookDefaults {
  const o = parseOptions(optionsSchema, options, "enableNotebookDefaults");
  if (!tslabApi()) return { inKernel: false, training: false, richResults: false };
  if (o.training)
    setRunDefaults(() => ({ callbacks: [notebookTrainingView()], signal: kernelAbortSignal() }));
  const api = tslabApi();
  const rich = o.richResults && api !== undefined && patchLastExpression((html) => api.display.html(html));
  if (rich && api) setRichDisplay((value) => api.display.html(value.toHTML()));
  return { inKernel: true, training: o.training, richResults: rich };
}
