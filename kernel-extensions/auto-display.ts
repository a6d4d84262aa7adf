/**
 * Notebook defaults: what `import "tunebook"` turns on inside a tslab kernel, so the natural code shows rich
 * output without extra calls.
 * - every `fit()` that brings no callbacks/signal of its own gets a live training view (progress bar + charts)
 *   and the interrupt button's AbortSignal (through `sdk/train`'s run-defaults registry);
 * - a cell whose last expression is an object with a `toHTML()` method (a `Dataset`, a `TableView`…) shows that
 *   HTML instead of `util.inspect` text. tslab prints a cell's last value with `console.log(value)`; we wrap
 *   `console.log` so that a single such argument becomes an HTML display.
 * Outside a kernel nothing changes.
 */
import { z } from "zod";
import { setRunDefaults } from "../sdk/train";
import { kernelAbortSignal } from "./interrupt";
import { parseOptions } from "./surface";
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
  /** Whether `console.log` of a single `toHTML()` object now displays HTML. */
  richResults: boolean;
}

/** An object that knows its own notebook rendering. */
interface HtmlRenderable {
  toHTML(): string;
}

const PATCHED = Symbol.for("tunebook.richConsoleLog");

function isHtmlRenderable(v: unknown): v is HtmlRenderable {
  return typeof v === "object" && v !== null && typeof (v as { toHTML?: unknown }).toHTML === "function";
}

function patchConsoleLog(): void {
  const c = console as Console & { [PATCHED]?: boolean };
  if (c[PATCHED]) return;
  const original = c.log.bind(c);
  c.log = (...args: unknown[]) => {
    const api = tslabApi();
    const only = args.length === 1 ? args[0] : undefined;
    if (api && isHtmlRenderable(only)) {
      let html: unknown;
      try {
        html = only.toHTML();
      } catch {
        html = undefined;
      }
      if (typeof html === "string") {
        api.display.html(html);
        return;
      }
    }
    original(...args);
  };
  c[PATCHED] = true;
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
  if (o.richResults) patchConsoleLog();
  return { inKernel: true, training: o.training, richResults: o.richResults };
}
