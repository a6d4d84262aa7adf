/**
 * Stop strings for streamed text: text is released as soon as it cannot be the start of a stop string, and
 * cut just before the first stop string found (the stop string itself is never released).
 */

/**
 * Watches one row's text deltas for stop strings.
 * @example
 * ```ts
 * const stops = new StopStringMatcher(["\n\n"]);
 * const { text, stopped } = stops.push("Hello\n");   // text "Hello", "\n" held back
 * ```
 */
export class StopStringMatcher {
  private held = "";

  /** @param stops - the stop strings (empty strings are ignored) */
  constructor(private readonly stops: readonly string[]) {}

  /**
   * Adds text.
   * @param delta - new text
   * @returns the text that can be released now, and whether a stop string was found (then `text` ends
   *   just before it and nothing more should be pushed)
   */
  push(delta: string): { text: string; stopped: boolean } {
    const buffer = this.held + delta;
    let cut = -1;
    for (const s of this.stops) {
      if (!s) continue;
      const at = buffer.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.held = "";
      return { text: buffer.slice(0, cut), stopped: true };
    }
    const keep = this.partialSuffix(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /**
   * Ends the text.
   * @returns what was held back (a partial stop string that never completed)
   */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
  private partialSuffix(text: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
        if (text.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
