/**
 * Figures of a classifier's or a regressor's predictions (a `causal_classification` / `causal_regression` run's
 * `classify` / `predict` outputs, or its `predictions/validation.csv`): a confusion-matrix heatmap (true label by
 * row, predicted label by column, counts in the cells) and a prediction-versus-target scatter with the diagonal.
 * Show them with `showFigure`; each comes with a text form for terminals.
 */
/** A plotly figure (`data`, `layout`) as `showFigure` takes it. */
type Figure = { data: Record<string, unknown>[]; layout: Record<string, unknown> };

/** A figure and its text form, ready for `showFigure({ figure, text })`. */
export interface ScoreFigure {
  figure: Figure;
  text: string;
}

/**
 * A confusion matrix: counts of (true, predicted) label pairs.
 * @param o - true and predicted labels (same length), the label order (default: every label seen, sorted), title
 * @returns the heatmap and a text table
 * @throws Error when the lengths differ
 * @example
 * ```ts
 * const { figure, text } = confusionMatrixFigure({ yTrue: [0, 1, 1], yPred: [0, 1, 0] });
 * showFigure({ figure, text });
 * ```
 */
export function confusionMatrixFigure(o: {
  yTrue: readonly (string | number)[];
  yPred: readonly (string | number)[];
  labels?: readonly (string | number)[];
  title?: string;
}): ScoreFigure & { counts: number[][] } {
  if (o.yTrue.length !== o.yPred.length)
    throw new Error(`confusionMatrixFigure: ${o.yTrue.length} true labels but ${o.yPred.length} predictions`);
  const labels = (o.labels ?? [...new Set([...o.yTrue, ...o.yPred].map(String))].sort()).map(String);
  const at = new Map(labels.map((l, i) => [l, i] as const));
  const counts = labels.map(() => labels.map(() => 0));
  o.yTrue.forEach((t, i) => {
    const r = at.get(String(t));
    const c = at.get(String(o.yPred[i]));
    if (r !== undefined && c !== undefined) counts[r][c] += 1;
  });
  const title = o.title ?? "confusion matrix";
  const figure: Figure = {
    data: [
      {
        type: "heatmap",
        z: counts,
        x: labels,
        y: labels,
        text: counts.map((row) => row.map(String)),
        texttemplate: "%{text}",
        colorscale: "Blues",
        hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
      },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: "predicted" }, type: "category" },
      yaxis: { title: { text: "true" }, type: "category", autorange: "reversed" },
    },
  };
  const width = Math.max(4, ...labels.map((l) => l.length), ...counts.flat().map((n) => String(n).length));
  const cell = (s: string) => s.padStart(width);
  const text = [
    `${title} (rows: true, columns: predicted)`,
    [cell(""), ...labels.map(cell)].join(" "),
    ...counts.map((row, r) => [cell(labels[r]), ...row.map((n) => cell(String(n)))].join(" ")),
  ].join("\n");
  return { figure, text, counts };
}

/**
 * Predicted values against their targets, with the diagonal `prediction = target`.
 * @param o - targets and predictions (same length), the target's name, title
 * @returns the scatter and a text summary (MSE, MAE, points)
 * @throws Error when the lengths differ
 * @example
 * ```ts
 * const { figure, text } = predictionScatterFigure({ yTrue: [1, 2, 3], yPred: [1.2, 1.9, 3.4], name: "stars" });
 * showFigure({ figure, text });
 * ```
 */
export function predictionScatterFigure(o: {
  yTrue: readonly number[];
  yPred: readonly number[];
  name?: string;
  title?: string;
}): ScoreFigure {
  if (o.yTrue.length !== o.yPred.length)
    throw new Error(`predictionScatterFigure: ${o.yTrue.length} targets but ${o.yPred.length} predictions`);
  const name = o.name ?? "target";
  const all = [...o.yTrue, ...o.yPred];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const n = o.yTrue.length;
  const mse = o.yTrue.reduce((s, y, i) => s + (y - o.yPred[i]) ** 2, 0) / n;
  const mae = o.yTrue.reduce((s, y, i) => s + Math.abs(y - o.yPred[i]), 0) / n;
  const title = o.title ?? `predicted ${name} vs ${name}`;
  const figure: Figure = {
    data: [
      { type: "scatter", mode: "markers", name: "rows", x: [...o.yTrue], y: [...o.yPred] },
      {
        type: "scatter",
        mode: "lines",
        name: "prediction = target",
        x: [lo, hi],
        y: [lo, hi],
        line: { dash: "dot" },
      },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: name } },
      yaxis: { title: { text: `predicted ${name}` } },
    },
  };
  const text = `${title}: ${n} points, MSE ${mse.toPrecision(4)}, MAE ${mae.toPrecision(4)}`;
  return { figure, text };
}
