/**
 * Rate limiting for renders. Every stdout write and every display update is one Jupyter message, so views
 * render at most a few times per second: the first call renders at once, later calls within the interval are
 * coalesced into one trailing render of the newest state, and `flush` renders what is pending immediately.
 */

/** Options of {@link Throttle}. */
export interface ThrottleOptions {
  /** Minimum milliseconds between two renders. */
  intervalMs: number;
  /** Renders the newest state; called at most once per interval. */
  render: () => void;
  /** Clock in milliseconds (injectable for tests); defaults to `Date.now`. */
  now?: () => number;
  /** Whether to schedule a trailing render with a timer; defaults to true. */
  trailing?: boolean;
}

/**
 * Calls `render` at most once per `intervalMs`, always leaving the newest state rendered eventually.
 *
 * @example
 * ```ts
 * const t = new Throttle({ intervalMs: 250, render: () => console.log("draw") });
 * for (let i = 0; i < 100; i++) t.request();
 * t.flush(); // the final state is always drawn
 * ```
 */
export class Throttle {
  private readonly opts: Required<ThrottleOptions>;
  private last = Number.NEGATIVE_INFINITY;
  private pending = false;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param options - interval, render function, optional clock
   * @throws never
   */
  constructor(options: ThrottleOptions) {
    this.opts = { now: Date.now, trailing: true, ...options };
  }

  /**
   * Asks for a render of the newest state: renders now if the interval has passed, else later.
   * @returns whether it rendered now
   */
  request(): boolean {
    const now = this.opts.now();
    if (now - this.last >= this.opts.intervalMs) {
      this.renderNow(now);
      return true;
    }
    this.pending = true;
    if (this.opts.trailing && !this.timer) {
      const wait = Math.max(0, this.opts.intervalMs - (now - this.last));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.pending) this.renderNow(this.opts.now());
      }, wait);
      this.timer.unref?.();
    }
    return false;
  }

  /**
   * Renders a pending state right away (call it when the work ends so the final state shows).
   * @param force - render even when nothing is pending
   * @returns whether it rendered
   */
  flush(force = false): boolean {
    if (!this.pending && !force) return false;
    this.renderNow(this.opts.now());
    return true;
  }

  /** Cancels a scheduled trailing render without rendering. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
  }

  private renderNow(now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
    this.last = now;
    this.opts.render();
  }
}
