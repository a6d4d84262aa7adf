/**
 * Any plotly.js figure (`{ data, layout }`) as a notebook output: histograms from `Dataset.summary()`, bar
 * charts of metrics, comparisons. The HTML carries the figure and a text summary shown until plotly draws
 * (and in untrusted or terminal views).
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { parseOptions } from "../sdk/errors";
import { escapeHtml, scriptJson } from "./html";
import { ensurePlotly } from "./plotly-loader";
import { type Rendering, resolveSurface, surfaceOptionsSchema } from "./surface";

/** A plotly.js figure: what `Plotly.newPlot(el, data, layout)` takes. */
export interface PlotlyFigureInput {
  data: readonly object[];
  layout?: Record<string, unknown>;
}

const figureSchema = z.object({
  data: z.array(z.object({}).passthrough()),
  layout: z.record(z.unknown()).optional(),
});
const optionsSchema = surfaceOptionsSchema.extend({
  figure: figureSchema,
  /** Text shown in a terminal and until plotly draws; default: the title and trace names. */
  text: z.string().optional(),
});

/** Options of {@link showFigure}. */
export type ShowFigureOptions = z.input<typeof optionsSchema> & { reloadPlotly?: boolean };

/**
 * The HTML of a plotly figure: a `div.tunebook-chart` holding `text` until a script draws the figure into it
 * (waiting up to 15 s for plotly.js to be loaded by the inlined bundle).
 * @param figure - plotly `data` and `layout`
 * @param text - the fallback text
 * @returns the HTML
 * @throws never
 * @example
 * ```ts
 * const html = plotlyHtml({ data: [{ type: "bar", x: ["a"], y: [1] }], layout: {} }, "a: 1");
 * ```
 */
export function plotlyHtml(figure: PlotlyFigureInput, text: string): string {
  const id = `tunebook-chart-${randomBytes(6).toString("hex")}`;
  const height = Number(figure.layout?.height) || 240;
  const script =
    `(function(){var fig=${scriptJson({ data: figure.data, layout: figure.layout ?? {} })};var t0=Date.now();` +
    `function draw(){var el=document.getElementById(${scriptJson(id)});` +
    `if(!el)return;if(!window.Plotly){if(Date.now()-t0<15000){setTimeout(draw,100);}else{el.firstChild.textContent=` +
    `"plotly.js is not loaded in this page: run showChart/notebookTrainingView with reloadPlotly: true";}return;}` +
    `el.innerHTML="";window.Plotly.newPlot(el,fig.data,fig.layout,{displaylogo:false,responsive:true});}draw();})();`;
  return (
    `<div id="${id}" class="tunebook-chart" style="min-height:${height}px">` +
    `<pre style="color:#666">${escapeHtml(text)}</pre></div>\n<script type="text/javascript">${script}</script>`
  );
}

function describe(figure: PlotlyFigureInput): string {
  const title = figure.layout?.title as { text?: unknown } | string | undefined;
  const t = typeof title === "string" ? title : typeof title?.text === "string" ? title.text : "";
  const names = figure.data.map((d, i) => {
    const trace = d as { name?: unknown; type?: unknown };
    return `${typeof trace.name === "string" ? trace.name : `trace ${i + 1}`} (${String(trace.type ?? "scatter")})`;
  });
  return [t ? `== ${t} ==` : "", `plotly figure: ${names.join(", ")}`].filter(Boolean).join("\n");
}

/**
 * Renders a plotly figure as HTML and as text.
 * @param figure - plotly `data` and `layout`
 * @param text - the text form (default: title and trace names)
 * @returns both renderings
 * @throws never
 * @example
 * ```ts
 * renderFigure({ data: [{ type: "bar", name: "bleu", x: ["a", "b"], y: [31, 28] }] }).text;
 * ```
 */
export function renderFigure(figure: PlotlyFigureInput, text?: string): Rendering {
  const t = text ?? describe(figure);
  return { html: plotlyHtml(figure, t), text: t };
}

/**
 * Shows a plotly figure (inlining plotly.js once per kernel session); prints its text form outside a kernel.
 *
 * @param options - `figure` (`data`, `layout`), `text`, surface (`mode`, `output`), `reloadPlotly`
 * @returns nothing
 * @throws ConfigError for invalid options
 * @example
 * ```ts
 * showFigure({ figure: { data: [{ type: "bar", x: ["run a", "run b"], y: [1.9, 1.7] }], layout: { title: { text: "loss" } } } });
 * ```
 */
export function showFigure(options: ShowFigureOptions): void {
  const { reloadPlotly, ...rest } = options;
  const o = parseOptions(optionsSchema, rest, "showFigure");
  const surface = resolveSurface({ mode: o.mode, output: o.output });
  ensurePlotly(surface, reloadPlotly === true);
  const entry = surface.entry();
  entry.render(renderFigure(o.figure as PlotlyFigureInput, o.text));
  entry.close();
}
