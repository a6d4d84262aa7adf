/**
 * Terminal progress for a training run, as a {@link TrainCallbacks} subscriber: a cli-progress bar (step, loss,
 * tokens/s, ETA; redrawn at most `fps` times a second) on a terminal, or one plain line every
 * `intervalSeconds` when output is a file or pipe. Evaluations, checkpoints, logs and the end always print.
 */
import cliProgress from "cli-progress";
import type { StepEvent, TrainCallbacks, TrainEvent } from "../train/events";

/** Options of {@link createProgressRenderer}. */
export interface ProgressOptions {
  /** Where to draw (default `process.stderr`, so stdout stays clean for pipes). */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Draw a bar (default: when the stream is a TTY). */
  tty?: boolean;
  /** Without a bar, print a progress line at most this often (default 10 s). */
  intervalSeconds?: number;
  /** Bar redraws per second at most (default 5). */
  fps?: number;
  /** Clock in milliseconds (for tests); default `Date.now`. */
  now?: () => number;
}

/**
 * Seconds as `1h02m03s`, `2m05s` or `7s`.
 * @param seconds - a duration
 * @returns the short text, `?` when not finite
 * @example
 * ```ts
 * formatDuration(3723); // "1h02m03s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const p = (n: number) => String(n).padStart(2, "0");
  if (h) return `${h}h${p(m)}m${p(s % 60)}s`;
  return m ? `${m}m${p(s % 60)}s` : `${s % 60}s`;
}

/**
 * One plain progress line for a step event.
 * @param e - the step event
 * @returns e.g. `step 20/100 (20%) epoch 0.40 loss 2.3100 lr 1.00e-4 1,234 tok/s elapsed 10s ETA 40s` (with
 *   `reward 0.8125` after the loss when the step measured one: GRPO)
 * @example
 * ```ts
 * console.error(formatStepLine(event));
 * ```
 */
export function formatStepLine(e: StepEvent): string {
  const pct = e.totalSteps ? Math.floor((100 * e.step) / e.totalSteps) : 0;
  const eta = e.step ? (e.elapsedSeconds / e.step) * (e.totalSteps - e.step) : Number.NaN;
  return (
    `step ${e.step}/${e.totalSteps} (${pct}%) epoch ${e.epoch.toFixed(2)} loss ${e.loss.toFixed(4)} ` +
    (e.metrics?.reward === undefined ? "" : `reward ${e.metrics.reward.toFixed(4)} `) +
    `lr ${e.learningRate.toExponential(2)} ${Math.round(e.tokensPerSecond).toLocaleString("en-US")} tok/s ` +
    `elapsed ${formatDuration(e.elapsedSeconds)} ETA ${formatDuration(eta)}`
  );
}

function milestone(event: TrainEvent): string | undefined {
  switch (event.type) {
    case "eval": {
      const metrics = Object.entries(event.metrics).map(([k, v]) => ` ${k} ${v.toFixed(4)}`);
      return `eval  step ${event.step} epoch ${event.epoch.toFixed(2)} loss ${event.loss.toFixed(4)}${metrics.join("")}`;
    }
    case "checkpoint":
      return `saved ${event.reason} checkpoint at step ${event.step}: ${event.path}`;
    case "log":
      return `${event.level === "info" ? "" : `${event.level}: `}${event.message}`;
    case "done":
      return `done  ${event.status} at step ${event.step}${event.loss === undefined ? "" : ` loss ${event.loss.toFixed(4)}`}${event.error ? ` (${event.error})` : ""}`;
    default:
      return undefined;
  }
}

/**
 * Creates the terminal progress renderer for `tunebook train` (or any script).
 * @param options - stream, TTY mode, line interval, redraw rate
 * @returns callbacks to pass to the trainer
 * @example
 * ```ts
 * await experiment.fit({ callbacks: [createProgressRenderer()] });
 * ```
 */
export function createProgressRenderer(options: ProgressOptions = {}): TrainCallbacks {
  const stream = (options.stream ?? process.stderr) as NodeJS.WriteStream;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const intervalMs = (options.intervalSeconds ?? 10) * 1000;
  const now = options.now ?? Date.now;
  let lastLine = Number.NEGATIVE_INFINITY;
  let multi: cliProgress.MultiBar | undefined;
  let bar: cliProgress.SingleBar | undefined;
  const print = (text: string) => (multi ? multi.log(`${text}\n`) : stream.write(`${text}\n`));

  const onStep = (e: StepEvent) => {
    if (!tty) {
      const t = now();
      if (t - lastLine >= intervalMs || e.step === e.totalSteps) {
        lastLine = t;
        stream.write(`${formatStepLine(e)}\n`);
      }
      return;
    }
    const eta = e.step ? (e.elapsedSeconds / e.step) * (e.totalSteps - e.step) : Number.NaN;
    const payload = {
      etaText: formatDuration(eta),
      loss: e.loss.toFixed(4),
      tps: Math.round(e.tokensPerSecond),
      epoch: e.epoch.toFixed(2),
    };
    if (!multi) {
      multi = new cliProgress.MultiBar(
        {
          stream,
          fps: options.fps ?? 5,
          hideCursor: true,
          clearOnComplete: false,
          format:
            "{bar} {percentage}% | step {value}/{total} | epoch {epoch} | loss {loss} | {tps} tok/s | ETA {etaText}",
        },
        cliProgress.Presets.shades_classic,
      );
      bar = multi.create(e.totalSteps, e.step, payload);
    } else bar?.update(e.step, payload);
  };

  return {
    onStep,
    onEvent(event) {
      const text = milestone(event);
      if (event.type === "done") {
        multi?.stop();
        multi = undefined;
      }
      if (text) print(text);
    },
  };
}
