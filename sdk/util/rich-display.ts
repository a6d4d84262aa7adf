/**
 * Where `show()` methods send their output: a notebook registers an HTML display (kernel-extensions does, when
 * `import "tunebook"` runs in a tslab kernel); everywhere else the value's text goes to stdout. Lower layers call
 * {@link showRich} without knowing which.
 */

/** A value with an HTML form (notebooks) and a text form (terminals). */
export interface RichValue {
  toHTML(): string;
  toString(): string;
}

/** Shows a rich value somewhere. */
export type RichDisplay = (value: RichValue) => void;

const KEY = Symbol.for("tunebook.richDisplay");

function registry(): { display?: RichDisplay } {
  const g = globalThis as Record<symbol, { display?: RichDisplay } | undefined>;
  g[KEY] ??= {};
  return g[KEY]!;
}

/**
 * Sets (or, with `undefined`, removes) the display {@link showRich} uses; one per process.
 * @param display - the display, e.g. one that sends `value.toHTML()` to the notebook
 * @returns nothing
 * @example
 * ```ts
 * setRichDisplay((v) => console.log(v.toHTML()));
 * ```
 */
export function setRichDisplay(display: RichDisplay | undefined): void {
  registry().display = display;
}

/**
 * Shows a value: as HTML in a notebook that registered a display, else as text on stdout.
 * @param value - the value
 * @returns nothing
 * @example
 * ```ts
 * showRich(dataset.head(10));
 * ```
 */
export function showRich(value: RichValue): void {
  const display = registry().display;
  if (display) display(value);
  else process.stdout.write(`${value.toString()}\n`);
}
