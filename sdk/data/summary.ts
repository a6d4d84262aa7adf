import type { TokenizedExample } from "./tokenize-examples";

/** A plotly.js figure: pass `data` and `layout` to `Plotly.newPlot`. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** Token-length statistics of a tokenized dataset. */
export interface TokenStats {
  /** Tokenized examples (raw texts longer than maxLength count once per chunk). */
  examples: number;
  min: number;
  mean: number;
  max: number;
  /** Total tokens and trained-on (target) tokens. */
  totalTokens: number;
  targetTokens: number;
  /** Histogram of sequence lengths as a plotly.js figure. */
  histogram: PlotlyFigure;
}

/** What {@link Dataset.summary} returns. */
export interface DatasetSummary {
  /** Rows read from the source (after sampling). */
  rows: number;
  /** Source columns. */
  columns: string[];
  /** Missing cells per column. */
  missing: Record<string, number>;
  /** Examples after column mapping (conversations), when a mapping is set. */
  examples?: number;
  /** Token statistics, when a tokenizer was given. */
  tokens?: TokenStats;
}

/**
 * Computes token-length statistics and a histogram figure.
 * @param examples - tokenized examples (at least one)
 * @param title - the figure's title
 * @returns the statistics
 * @example
 * ```ts
 * const stats = tokenStats(tokenized.examples, "train");
 * ```
 */
export function tokenStats(examples: readonly TokenizedExample[], title = "Token lengths"): TokenStats {
  const lengths = examples.map((e) => e.ids.length);
  let total = 0;
  let targets = 0;
  for (const e of examples) {
    total += e.ids.length;
    for (let i = 1; i < e.target.length; i++) targets += e.target[i];
  }
  return {
    examples: examples.length,
    min: lengths.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY),
    mean: total / Math.max(1, lengths.length),
    max: lengths.reduce((a, b) => Math.max(a, b), 0),
    totalTokens: total,
    targetTokens: targets,
    histogram: {
      data: [{ type: "histogram", x: lengths, name: "tokens", marker: { color: "#4c78a8" } }],
      layout: {
        title: { text: title },
        xaxis: { title: { text: "tokens per example" } },
        yaxis: { title: { text: "examples" } },
        bargap: 0.05,
      },
    },
  };
}
