/**
 * A training progress bar: epoch, step/total, loss, learning rate, tokens/s, elapsed and ETA. Rendered as HTML
 * in a notebook display updated in place, or as a text line in a terminal; renders are throttled and the final
 * state is always drawn.
 */
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { formatDuration, formatNumber } from "./format";
import { escapeHtml } from "./html";
import { type LiveEntry, type Rendering, resolveSurface, surfaceOptionsSchema } from "./surface";
import { Throttle } from "./throttle";

/** What the bar shows. Everything but `step` and `totalSteps` is optional. */
export interface ProgressState {
  step: number;
  totalSteps: number;
  epoch?: number;
  loss?: number;
  learningRate?: number;
  tokensPerSecond?: number;
  elapsedSeconds?: number;
  /** `running` until the run ends. */
  status?: "running" | "completed" | "cancelled" | "failed";
  /** A short note shown after the numbers (e.g. an error message). */
  note?: string;
}

const optionsSchema = surfaceOptionsSchema.extend({
  /** Title shown before the bar. */
  title: z.string().default("Training"),
  /** Minimum milliseconds between renders; default 250 in a notebook or terminal, 2000 on a non-TTY stream. */
  intervalMs: z.number().int().nonnegative().optional(),
});

/** Options of {@link ProgressBar}. */
export type ProgressBarOptions = z.input<typeof optionsSchema>;

const STATUS_COLOR = { running: "#1f77b4", completed: "#2ca02c", cancelled: "#ff7f0e", failed: "#d62728" };

/**
 * Estimated seconds left, from the mean time per step so far.
 * @param s - the progress state
 * @returns seconds, or `undefined` when it cannot be estimated
 */
export function etaSeconds(s: ProgressState): number | undefined {
  if (s.elapsedSeconds === undefined || s.step <= 0 || s.totalSteps <= 0) return undefined;
  return (s.elapsedSeconds / s.step) * Math.max(0, s.totalSteps - s.step);
}

/**
 * The fields of a progress line, label → value text, in display order.
 * @param s - the progress state
 * @returns label/value pairs
 */
function fields(s: ProgressState): [string, string][] {
  const out: [string, string][] = [];
  if (s.epoch !== undefined) out.push(["epoch", s.epoch.toFixed(2)]);
  if (s.loss !== undefined) out.push(["loss", formatNumber(s.loss)]);
  if (s.learningRate !== undefined) out.push(["lr", formatNumber(s.learningRate)]);
  if (s.tokensPerSecond !== undefined) out.push(["tok/s", formatNumber(Math.round(s.tokensPerSecond))]);
  if (s.elapsedSeconds !== undefined) {
    const eta = etaSeconds(s);
    const done = s.status !== undefined && s.status !== "running";
    out.push([
      "time",
      done || eta === undefined
        ? formatDuration(s.elapsedSeconds)
        : `${formatDuration(s.elapsedSeconds)} < ${formatDuration(eta)}`,
    ]);
  }
  return out;
}

/**
 * Renders a progress state as HTML and as one text line.
 *
 * @param title - label before the bar
 * @param s - the state
 * @returns both renderings
 * @throws never
 * @example
 * ```ts
 * renderProgress("Training", { step: 5, totalSteps: 10, loss: 1.5 }).text; // "Training [#####.....] 5/10 50% | loss 1.5"
 * ```
 */
export function renderProgress(title: string, s: ProgressState): Rendering {
  const frac = s.totalSteps > 0 ? Math.min(1, Math.max(0, s.step / s.totalSteps)) : 0;
  const pct = Math.floor(frac * 100);
  const status = s.status ?? "running";
  const f = fields(s);
  const filled = Math.round(frac * 20);
  const tail = status === "running" ? "" : ` [${status}]`;
  const note = s.note ? ` (${s.note})` : "";
  const text =
    `${title} [${"#".repeat(filled)}${".".repeat(20 - filled)}] ${s.step}/${s.totalSteps} ${pct}%` +
    f.map(([k, v]) => ` | ${k} ${v}`).join("") +
    tail +
    note;
  const items = f.map(
    ([k, v]) => `<span style="margin-right:1em"><b>${escapeHtml(k)}</b> ${escapeHtml(v)}</span>`,
  );
  const html =
    `<div class="tunebook-progress" data-step="${s.step}" data-total="${s.totalSteps}" data-status="${status}" ` +
    `style="font-family:monospace;font-size:13px;margin:4px 0">` +
    `<div><b>${escapeHtml(title)}</b> ${s.step}/${s.totalSteps} (${pct}%)${escapeHtml(tail + note)}</div>` +
    `<div style="background:#e5e5e5;border-radius:3px;height:12px;width:100%;max-width:640px;margin:3px 0">` +
    `<div class="tunebook-progress-fill" style="background:${STATUS_COLOR[status]};height:12px;border-radius:3px;width:${(frac * 100).toFixed(1)}%"></div></div>` +
    `<div>${items.join("")}</div></div>`;
  return { html, text };
}

/**
 * A progress bar that redraws in place at a throttled rate.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar({ title: "Demo" });
 * for (let step = 1; step <= 100; step++) bar.update({ step, totalSteps: 100, loss: 1 / step });
 * bar.finish({ status: "completed" });
 * ```
 */
export class ProgressBar {
  private readonly title: string;
  private readonly entry: LiveEntry;
  private readonly throttle: Throttle;
  private state: ProgressState = { step: 0, totalSteps: 0 };

  /**
   * @param options - title, surface (`mode`, `output`) and `intervalMs`
   * @throws ConfigError for invalid options
   */
  constructor(options: ProgressBarOptions = {}) {
    const o = parseOptions(optionsSchema, options, "ProgressBar");
    const surface = resolveSurface({ mode: o.mode, output: o.output });
    const out = (o.output ?? process.stdout) as { isTTY?: boolean };
    const interval = o.intervalMs ?? (surface.kind === "notebook" || out.isTTY ? 250 : 2000);
    this.title = o.title;
    this.entry = surface.entry({ inPlace: true });
    this.throttle = new Throttle({
      intervalMs: interval,
      render: () => this.entry.render(renderProgress(this.title, this.state)),
    });
  }

  /** The state last given (rendered or not). */
  get current(): ProgressState {
    return { ...this.state };
  }

  /**
   * Sets new values (merged into the current state) and redraws when the throttle allows.
   * @param state - the fields that changed
   */
  update(state: Partial<ProgressState>): void {
    this.state = { ...this.state, ...state };
    this.throttle.request();
  }

  /**
   * Draws the final state now (always), e.g. `{ status: "completed" }`, and ends the entry.
   * @param state - last changes to apply before drawing
   */
  finish(state: Partial<ProgressState> = {}): void {
    this.state = { ...this.state, status: "completed", ...state };
    this.throttle.flush(true);
    this.throttle.cancel();
    this.entry.close();
  }
}
