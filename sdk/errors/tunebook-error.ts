const marker = Symbol.for("tunebook.error");

/** Options every tunebook error accepts. */
export interface TunebookErrorOptions {
  /** The underlying error, when this one wraps another. */
  cause?: unknown;
}

/**
 * Base class of every error tunebook throws on purpose.
 *
 * Each subclass has a stable `name` (e.g. `TunebookShapeError`) and readonly context fields; its message says
 * what was expected, what was found, and how to fix it.
 *
 * @example
 * ```ts
 * try { await Backbone.load("missing/dir"); } catch (e) { if (TunebookError.isInstance(e)) console.log(e.name); }
 * ```
 */
export class TunebookError extends Error {
  readonly [marker] = true;

  constructor(message: string, options: TunebookErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TunebookError";
  }

  /**
   * True when `error` is a tunebook error, even one thrown by another copy of the package.
   * @param error - anything caught
   * @returns whether it is a {@link TunebookError}
   */
  static isInstance(error: unknown): error is TunebookError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}
