/**
 * Questions about a search answered by a language model from the search's own record: "why did trial 7 do
 * better?" is sent with the leaderboard (settings, states, values, curves, reasons), and the model is told to
 * answer from that table only.
 */
import OpenAI from "openai";
import { searchLeaderboard } from "./leaderboard";
import { readSearchRecord } from "./search-record";

/** Options of {@link askAboutSearch}. */
export interface AskSearchOptions {
  /** An openai client for the endpoint (or give `baseURL` and `apiKey`). */
  client?: OpenAI;
  baseURL?: string;
  apiKey?: string;
  /** The model name the endpoint serves. */
  model: string;
  /** Sampling temperature (default 0). */
  temperature?: number;
}

/**
 * The trial table a question is answered from: the leaderboard as text, each trial's validation curve, and what
 * was optimised.
 * @param dir - the search folder
 * @returns the text sent to the model
 * @example
 * ```ts
 * console.log(searchContext("experiments/search"));
 * ```
 */
export function searchContext(dir: string): string {
  const record = readSearchRecord(dir);
  const board = searchLeaderboard(record);
  const table = [board.columns.join(" | "), ...board.cells.map((r) => r.join(" | "))].join("\n");
  const curves = record.trials
    .map(
      (t) =>
        `trial ${t.number}: ${t.curve.map(([s, v]) => `step ${s}: ${v.toPrecision(5)}`).join(", ") || "no evaluations"}`,
    )
    .join("\n");
  return (
    `Search with strategy ${record.strategy}, pruner ${record.pruner}, optimising ${record.metric.name} ` +
    `(${record.metric.direction}).\n\nLeaderboard (best first):\n${table}\n\nValidation curves:\n${curves}`
  );
}

/**
 * Asks a question about a search; the answer is grounded in the search's trial table.
 * @param dir - the search folder
 * @param question - e.g. "why did trial 7 do better than trial 3?"
 * @param options - endpoint and model
 * @returns the model's answer
 * @throws ConfigError when the folder holds no search; the openai client's errors when the endpoint fails
 * @example
 * ```ts
 * const answer = await askAboutSearch("experiments/search", "Which learning rates worked?", { baseURL, model: "m" });
 * ```
 */
export async function askAboutSearch(
  dir: string,
  question: string,
  options: AskSearchOptions,
): Promise<string> {
  const client = options.client ?? new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? "none" });
  const r = await client.chat.completions.create({
    model: options.model,
    temperature: options.temperature ?? 0,
    messages: [
      {
        role: "system",
        content:
          "You explain the results of a hyperparameter search. Answer from the trial table given, citing trial " +
          "numbers, settings and values; say so when the table does not tell.",
      },
      { role: "user", content: `${searchContext(dir)}\n\nQuestion: ${question}` },
    ],
  });
  return r.choices[0]?.message?.content ?? "";
}
