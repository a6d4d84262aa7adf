/**
 * Line charts with plotly.js, redrawn in place: one or more stacked panels (e.g. loss, learning rate, metrics)
 * sharing the x axis. In a terminal the same chart prints as a text summary with a sparkline per series.
 */
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { plotlyHtml } from "./figure";
import { formatNumber } from "./format";
import { ensurePlotly } from "./plotly-loader";
import { type LiveEntry, type Rendering, resolveSurface, surfaceOptionsSchema } from "./surface";
import { Throttle } from "./throttle";

/** One line of a chart. */
export interface ChartSeries {
  name: string;
  x: number[];
  y: number[];
  /** Panel (y-axis title) it is drawn in; defaults to the first panel. */
  panel?: string;
}

/** What a chart shows. */
export interface ChartSpec {
  title?: string;
  /** X axis title; default "step". */
  xTitle?: string;
  /** Panels from top to bottom, by y-axis title; default: the panels the series name, in order. */
  panels?: string[];
  /** Panels drawn with a log y axis. */
  logPanels?: string[];
  series: ChartSeries[];
}

const seriesSchema = z.object({
  name: z.string(),
  x: z.array(z.number()),
  y: z.array(z.number()),
  panel: z.string().optional(),
});
const specSchema = z.object({
  title: z.string().optional(),
  xTitle: z.string().optional(),
  panels: z.array(z.string()).optional(),
  logPanels: z.array(z.string()).optional(),
  series: z.array(seriesSchema),
});
const optionsSchema = surfaceOptionsSchema.extend({
  spec: specSchema,
  /** Minimum milliseconds between redraws; default 1000 in a notebook, 10000 in text mode. */
  intervalMs: z.number().int().nonnegative().optional(),
  /** Pixel height of each panel. */
  panelHeight: z.number().int().positive().default(220),
});

/** Options of {@link showChart}. */
export type ShowChartOptions = z.input<typeof optionsSchema>;

function panelsOf(spec: ChartSpec): string[] {
  const out = [...(spec.panels ?? [])];
  for (const s of spec.series) {
    const p = s.panel ?? out[0] ?? "value";
    if (!out.includes(p)) out.push(p);
  }
  return out.length ? out : ["value"];
}

/**
 * Builds the plotly figure (data and layout) for a spec: stacked panels sharing the x axis.
 * @param spec - the chart
 * @param panelHeight - pixels per panel
 * @returns plotly `data` and `layout`
 */
export function plotlyFigure(
  spec: ChartSpec,
  panelHeight = 220,
): { data: object[]; layout: Record<string, unknown> } {
  const panels = panelsOf(spec);
  const n = panels.length;
  const gap = 0.08;
  const h = (1 - gap * (n - 1)) / n;
  const layout: Record<string, unknown> = {
    title: spec.title ? { text: spec.title } : undefined,
    height: panelHeight * n + (spec.title ? 60 : 30),
    margin: { l: 60, r: 20, t: spec.title ? 50 : 20, b: 40 },
    showlegend: true,
    xaxis: { title: { text: spec.xTitle ?? "step" }, anchor: n === 1 ? "y" : `y${n}` },
  };
  panels.forEach((p, i) => {
    const top = 1 - i * (h + gap);
    const axis = i === 0 ? "yaxis" : `yaxis${i + 1}`;
    layout[axis] = {
      title: { text: p },
      domain: [top - h, top],
      type: spec.logPanels?.includes(p) ? "log" : "linear",
      anchor: "x",
    };
  });
  const data = spec.series.map((s) => {
    const i = panels.indexOf(s.panel ?? panels[0]!);
    return {
      type: "scatter",
      mode: s.x.length > 1 ? "lines" : "markers",
      name: s.name,
      x: s.x,
      y: s.y,
      yaxis: i === 0 ? "y" : `y${i + 1}`,
    };
  });
  return { data, layout };
}

const SPARKS = "▁▂▃▄▅▆▇█";

/**
 * A sparkline of up to `width` characters (the series resampled by taking the last point of each bucket).
 * @param y - values
 * @param width - maximum characters
 * @returns the sparkline
 */
export function sparkline(y: readonly number[], width = 40): string {
  const v = y.filter(Number.isFinite);
  if (v.length === 0) return "";
  const k = Math.ceil(v.length / width);
  const pts: number[] = [];
  for (let i = k - 1; i < v.length + k - 1; i += k) pts.push(v[Math.min(i, v.length - 1)]!);
  const lo = Math.min(...pts);
  const hi = Math.max(...pts);
  return pts.map((p) => SPARKS[hi === lo ? 3 : Math.round(((p - lo) / (hi - lo)) * 7)]).join("");
}

/**
 * Renders a chart as plotly HTML (with a text summary shown until plotly draws) and as text.
 * @param spec - the chart
 * @param panelHeight - pixels per panel
 * @returns both renderings
 * @throws never
 * @example
 * ```ts
 * renderChart({ series: [{ name: "loss", x: [1, 2], y: [2, 1] }] }).text;
 * ```
 */
export function renderChart(spec: ChartSpec, panelHeight = 220): Rendering {
  const lines = spec.series.map((s) => {
    if (s.y.length === 0) return `${s.name}: (no points)`;
    const last = s.y[s.y.length - 1]!;
    const min = s.y.reduce((m, v) => Math.min(m, v), Number.POSITIVE_INFINITY);
    return `${s.name}: last ${formatNumber(last)} @ ${s.x[s.x.length - 1]}, min ${formatNumber(min)}  ${sparkline(s.y)}`;
  });
  const text = [spec.title ? `== ${spec.title} ==` : "", ...lines].filter(Boolean).join("\n");
  return { html: plotlyHtml(plotlyFigure(spec, panelHeight), text), text };
}

/** A chart shown in a notebook or terminal; `update` redraws it in place (throttled). */
export interface LiveChart {
  /** Replaces the chart's content and redraws when the throttle allows. */
  update(spec: ChartSpec): void;
  /** Draws the newest content now, if it has not been drawn yet. */
  flush(): void;
}

/**
 * Shows a line chart and returns a handle to redraw it in place. Inlines plotly.js once per kernel session.
 *
 * @param options - `spec` (title, panels, series), `panelHeight`, `intervalMs`, surface (`mode`, `output`),
 *   `reloadPlotly` to inline plotly.js again (after reloading the page of a running kernel)
 * @returns the live chart
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * const chart = showChart({ spec: { title: "loss", series: [{ name: "train", x: [1, 2, 3], y: [3, 2, 1.5] }] } });
 * chart.update({ title: "loss", series: [{ name: "train", x: [1, 2, 3, 4], y: [3, 2, 1.5, 1.2] }] });
 * chart.flush();
 * ```
 */
export function showChart(options: ShowChartOptions & { reloadPlotly?: boolean }): LiveChart {
  const { reloadPlotly, ...rest } = options;
  const o = parseOptions(optionsSchema, rest, "showChart");
  const surface = resolveSurface({ mode: o.mode, output: o.output });
  ensurePlotly(surface, reloadPlotly === true);
  const entry: LiveEntry = surface.entry();
  let spec: ChartSpec = o.spec;
  const throttle = new Throttle({
    intervalMs: o.intervalMs ?? (surface.kind === "notebook" ? 1000 : 10000),
    render: () => entry.render(renderChart(spec, o.panelHeight)),
  });
  throttle.request();
  return {
    update(next) {
      spec = parseOptions(specSchema, next, "LiveChart.update");
      throttle.request();
    },
    flush() {
      throttle.flush();
      throttle.cancel();
    },
  };
}
