/**
 * The notebook view of a training run: a `TrainCallbacks` subscriber that turns the trainer's events into a
 * progress bar and live charts (train/validation loss, learning rate, metrics), both updated in place. A run
 * whose steps measure a reward (GRPO) gets a reward panel beside the loss, with the sampled completions' mean
 * reward at each step and the validation reward at each evaluation.
 */
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import type { DoneEvent, EvalEvent, LogEvent, StepEvent, TrainCallbacks } from "../sdk/train";
import { type ChartSeries, type ChartSpec, type LiveChart, showChart } from "./chart";
import { escapeHtml } from "./html";
import { ProgressBar } from "./progress-bar";
import { resolveSurface, surfaceOptionsSchema } from "./surface";

const optionsSchema = surfaceOptionsSchema.extend({
  /** Title of the progress bar and charts. */
  title: z.string().default("Training"),
  /** Show live charts (default true). */
  charts: z.boolean().default(true),
  /** Most points kept per series; older points are thinned (every other one dropped) beyond this. */
  maxPoints: z.number().int().min(10).default(2000),
  /** Milliseconds between progress redraws (default 250; 2000 on a non-TTY stream). */
  progressIntervalMs: z.number().int().nonnegative().optional(),
  /** Milliseconds between chart redraws (default 1000 in a notebook, 10000 in text mode). */
  chartIntervalMs: z.number().int().nonnegative().optional(),
  /** Inline plotly.js again even if this kernel session already did (after a page reload). */
  reloadPlotly: z.boolean().default(false),
});

/** Options of {@link notebookTrainingView}. */
export type TrainingViewOptions = z.input<typeof optionsSchema>;

/** The subscriber, plus the series it collected (for a final chart or a table). */
export interface TrainingView extends TrainCallbacks {
  /** The collected series: train loss, validation loss, learning rate, and one per metric. */
  series(): ChartSeries[];
  /** The chart as it is drawn now: panels, log-scale panels and series (`plotlyFigure(spec)` gives the figure). */
  chartSpec(): ChartSpec;
}

/** The metric a GRPO run reports at each step and evaluation. */
const REWARD = "reward";

class Series {
  readonly x: number[] = [];
  readonly y: number[] = [];
  private stride = 1;
  private seen = 0;
  constructor(
    readonly name: string,
    readonly panel: string,
    private readonly max: number,
  ) {}
  push(x: number, y: number): void {
    if (this.seen++ % this.stride !== 0) return;
    this.x.push(x);
    this.y.push(y);
    if (this.x.length > this.max) {
      const keep = (_: number, i: number) => i % 2 === 0;
      const xs = this.x.filter(keep);
      const ys = this.y.filter(keep);
      this.x.splice(0, this.x.length, ...xs);
      this.y.splice(0, this.y.length, ...ys);
      this.stride *= 2;
    }
  }
  view(): ChartSeries {
    return { name: this.name, panel: this.panel, x: [...this.x], y: [...this.y] };
  }
}

/**
 * A training-run subscriber for notebooks: a progress bar (epoch, step/total, loss, learning rate, tokens/s,
 * ETA) and live plotly charts, updated in place at a throttled rate; the final state is always drawn. Outside a
 * tslab kernel it prints the same information as text.
 *
 * @param options - title, `charts`, `maxPoints`, redraw intervals, surface (`mode`, `output`), `reloadPlotly`
 * @returns a `TrainCallbacks` to pass to the trainer
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * const view = notebookTrainingView({ title: "LoRA r8" });
 * await view.onStep?.({ type: "step", step: 1, totalSteps: 2, epoch: 0.5, loss: 2.1, learningRate: 1e-4,
 *   gradNorm: 1, tokens: 900, tokensPerSecond: 900, elapsedSeconds: 1 });
 * await view.onDone?.({ type: "done", status: "completed", step: 1 });
 * ```
 */
export function notebookTrainingView(options: TrainingViewOptions = {}): TrainingView {
  const o = parseOptions(optionsSchema, options, "notebookTrainingView");
  const where = { mode: o.mode, output: o.output };
  if (o.mode === "notebook") resolveSurface(where); // fail early outside a kernel
  let bar: ProgressBar | undefined;
  let chart: LiveChart | undefined;
  const train = new Series("train loss", "loss", o.maxPoints);
  const valid = new Series("validation loss", "loss", o.maxPoints);
  const lr = new Series("learning rate", "learning rate", o.maxPoints);
  const metrics = new Map<string, Series>();
  // Linear metrics share the "metrics" panel; a metric that declares a log scale (perplexity: thousands down
  // to single digits) gets a panel of its own with a log y axis.
  const metricPanels: string[] = [];
  const logPanels: string[] = [];
  // The reward (GRPO) has a panel of its own beside the loss: the steps' and the evaluations' values together.
  const rewardPanel: string[] = [];
  const metricSeries = (name: string, scale: "linear" | "log" | undefined, label = name): Series => {
    if (name === REWARD) {
      if (!rewardPanel.length) rewardPanel.push(REWARD);
      return new Series(label, REWARD, o.maxPoints);
    }
    const panel = scale === "log" ? `${name} (log scale)` : "metrics";
    if (!metricPanels.includes(panel)) metricPanels.push(panel);
    if (scale === "log" && !logPanels.includes(panel)) logPanels.push(panel);
    return new Series(label, panel, o.maxPoints);
  };
  const stepMetrics = new Map<string, Series>();
  const all = () =>
    [train, valid, lr, ...stepMetrics.values(), ...metrics.values()]
      .filter((s) => s.x.length > 0)
      .map((s) => s.view());
  const spec = (): ChartSpec => ({
    title: o.title,
    panels: ["loss", ...rewardPanel, "learning rate", ...metricPanels],
    ...(logPanels.length ? { logPanels: [...logPanels] } : {}),
    series: all(),
  });
  const redraw = () => {
    if (!o.charts) return;
    if (!chart)
      chart = showChart({
        ...where,
        spec: spec(),
        intervalMs: o.chartIntervalMs,
        reloadPlotly: o.reloadPlotly,
      });
    else chart.update(spec());
  };
  const progress = () => {
    bar ??= new ProgressBar({ ...where, title: o.title, intervalMs: o.progressIntervalMs });
    return bar;
  };
  let note: string | undefined;
  return {
    series: all,
    chartSpec: spec,
    onStep(e: StepEvent) {
      train.push(e.step, e.loss);
      lr.push(e.step, e.learningRate);
      for (const [k, v] of Object.entries(e.metrics ?? {})) {
        if (k.endsWith("_seconds")) continue; // timings are in metrics.jsonl, not charted
        if (!stepMetrics.has(k)) stepMetrics.set(k, metricSeries(k, undefined, `train ${k}`));
        stepMetrics.get(k)!.push(e.step, v);
      }
      progress().update({
        step: e.step,
        totalSteps: e.totalSteps,
        epoch: e.epoch,
        loss: e.loss,
        learningRate: e.learningRate,
        tokensPerSecond: e.tokensPerSecond,
        elapsedSeconds: e.elapsedSeconds,
        note,
      });
      redraw();
    },
    onEval(e: EvalEvent) {
      valid.push(e.step, e.loss);
      for (const [k, v] of Object.entries(e.metrics)) {
        const label = k === REWARD ? `validation ${k}` : k;
        if (!metrics.has(k)) metrics.set(k, metricSeries(k, e.scales?.[k], label));
        metrics.get(k)!.push(e.step, v);
      }
      note = `val loss ${e.loss.toPrecision(4)}`;
      progress().update({ note });
      redraw();
    },
    onCheckpoint(e) {
      note = `checkpoint @${e.step} (${e.reason})`;
      progress().update({ note });
    },
    onLog(e: LogEvent) {
      if (e.level === "info") return;
      const text = `${e.level}: ${e.message}`;
      progress().update({ note: text });
      // The note is replaced at the next step: a warning also gets an output entry of its own, which stays.
      const entry = resolveSurface(where).entry();
      entry.render({ html: `<div class="tunebook-${e.level}">${escapeHtml(text)}</div>`, text });
      entry.close();
    },
    onDone(e: DoneEvent) {
      const status = e.status;
      progress().finish({
        status,
        step: e.step,
        note: e.error ?? note,
        ...(e.loss === undefined ? {} : { loss: e.loss }),
      });
      if (o.charts) {
        redraw();
        chart?.flush();
      }
    },
  };
}
