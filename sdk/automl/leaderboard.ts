/** A search's trials as a leaderboard: best first, with their settings, state and cost. */
import { formatNumber } from "../util";
import { readSearchRecord, type SearchRecord } from "./search-record";
import type { SearchTrial } from "./search-trial";

/** One leaderboard row: trial number, state, value, each searched setting, cost, reason. */
export type LeaderboardRow = Record<string, string | number | null>;

/** A leaderboard as columns, raw rows and display cells (the CLI and the notebook render the same). */
export interface Leaderboard {
  readonly metric: SearchRecord["metric"];
  readonly columns: string[];
  readonly rows: LeaderboardRow[];
  readonly cells: string[][];
  /** The rows as a danfojs-node DataFrame (danfojs is loaded on first call: ~1 s, ~150 MB). */
  toDataFrame(): import("danfojs-node").DataFrame;
}

const STATE_ORDER: Record<SearchTrial["state"], number> = {
  complete: 0,
  running: 1,
  pruned: 2,
  stopped: 3,
  failed: 4,
};

/**
 * The leaderboard of a search: complete trials by value (best first), then running, pruned (by value), stopped
 * and failed ones.
 * @param source - a search folder, or its record
 * @returns columns `trial`, `state`, the metric, `best_step`, each setting, `tokens`, `seconds`, `reason`
 * @throws ConfigError when the folder holds no search record
 * @example
 * ```ts
 * console.table(searchLeaderboard("experiments/search").rows);
 * ```
 */
export function searchLeaderboard(source: string | SearchRecord): Leaderboard {
  const record = typeof source === "string" ? readSearchRecord(source) : source;
  const sign = record.metric.direction === "minimize" ? 1 : -1;
  const settings = [...new Set(record.trials.flatMap((t) => Object.keys(t.params)))];
  const sorted = [...record.trials].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      sign * ((a.value ?? sign * Infinity) - (b.value ?? sign * Infinity)) ||
      a.number - b.number,
  );
  const metric = record.metric.name;
  const columns = ["trial", "state", metric, "best_step", ...settings, "tokens", "seconds", "reason"];
  const rows = sorted.map((t) => {
    const row: LeaderboardRow = {
      trial: t.number,
      state: t.state,
      [metric]: t.value ?? null,
      best_step: t.bestStep ?? null,
    };
    for (const s of settings) {
      const v = t.params[s];
      row[s] = v === undefined ? null : Array.isArray(v) ? v.join(",") : (v as string | number);
    }
    Object.assign(row, {
      tokens: t.tokens,
      seconds: Math.round(t.seconds * 10) / 10,
      reason: t.reason ?? null,
    });
    return row;
  });
  const show = (v: string | number | null) =>
    v === null ? "-" : typeof v === "number" ? formatNumber(v) : v;
  return {
    metric: record.metric,
    columns,
    rows,
    cells: rows.map((r) => columns.map((c) => show(r[c] ?? null))),
    toDataFrame() {
      // Loaded here, not at import time: danfojs-node pulls in TensorFlow.js.
      const dfd = require("danfojs-node") as typeof import("danfojs-node");
      return new dfd.DataFrame(rows);
    },
  };
}
