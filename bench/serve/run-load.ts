/**
 * A bounded load run against an OpenAI-compatible server: `clients` concurrent streaming chat clients, each
 * sending `requestsPerClient` requests one after another. Every response is checked for well-formedness
 * (one role delta first, a finish reason, a usage chunk whose completion_tokens equals the number of content
 * deltas, then the end of stream), and latencies are measured.
 */
import OpenAI from "openai";

/** One finished request. */
export interface LoadSample {
  client: number;
  request: number;
  /** Seed sent (client * 1000 + request), so a caller can recompute the expected text. */
  seed: number;
  prompt: string;
  text: string;
  ms: number;
  /** Milliseconds to the first content delta. */
  firstTokenMs: number;
  /** Problems found in the stream; empty when well-formed. */
  problems: string[];
}

/** Summary of a load run. */
export interface LoadReport {
  requests: number;
  malformed: number;
  seconds: number;
  requestsPerSecond: number;
  tokensPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p95FirstTokenMs: number;
  samples: LoadSample[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function oneRequest(
  client: OpenAI,
  model: string,
  c: number,
  r: number,
  maxTokens: number,
): Promise<LoadSample> {
  const seed = c * 1000 + r;
  const prompt = `client ${c} request ${r}`;
  const start = performance.now();
  let firstTokenMs = -1;
  const problems: string[] = [];
  let text = "";
  let deltas = 0;
  let finish: string | null = null;
  let usageTokens = -1;
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: prompt }],
    seed,
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  let first = true;
  for await (const chunk of stream) {
    if (first && chunk.choices[0]?.delta.role !== "assistant")
      problems.push("first chunk has no assistant role");
    first = false;
    if (chunk.usage) usageTokens = chunk.usage.completion_tokens;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.index !== 0) problems.push(`unexpected choice index ${choice.index}`);
    if (finish !== null) problems.push("content after finish_reason");
    if (choice.delta.content) {
      if (firstTokenMs < 0) firstTokenMs = performance.now() - start;
      text += choice.delta.content;
      deltas++;
    }
    finish = choice.finish_reason ?? finish;
  }
  if (finish === null) problems.push("no finish_reason");
  if (usageTokens !== deltas) problems.push(`usage says ${usageTokens} tokens, got ${deltas} deltas`);
  return { client: c, request: r, seed, prompt, text, ms: performance.now() - start, firstTokenMs, problems };
}

/**
 * Runs the load and summarises it.
 * @param options - server `baseURL`, `model`, `apiKey`, number of `clients`, `requestsPerClient`, `maxTokens`
 * @returns throughput, latency percentiles and every sample
 * @throws when a request fails outright
 * @example
 * ```ts
 * const report = await runLoad({ baseURL: server.baseURL, model: "tiny", clients: 32, requestsPerClient: 2 });
 * ```
 */
export async function runLoad(options: {
  baseURL: string;
  model: string;
  apiKey?: string;
  clients: number;
  requestsPerClient: number;
  maxTokens?: number;
}): Promise<LoadReport> {
  const client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? "none", maxRetries: 0 });
  const start = performance.now();
  const perClient = await Promise.all(
    Array.from({ length: options.clients }, async (_, c) => {
      const out: LoadSample[] = [];
      for (let r = 0; r < options.requestsPerClient; r++) {
        out.push(await oneRequest(client, options.model, c, r, options.maxTokens ?? 32));
      }
      return out;
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const samples = perClient.flat();
  const tokens = samples.reduce((s, x) => s + (x.text.match(/\s*\S+|\s+/g)?.length ?? 0), 0);
  return {
    requests: samples.length,
    malformed: samples.filter((s) => s.problems.length > 0).length,
    seconds,
    requestsPerSecond: samples.length / seconds,
    tokensPerSecond: tokens / seconds,
    p50Ms: percentile(
      samples.map((s) => s.ms),
      50,
    ),
    p95Ms: percentile(
      samples.map((s) => s.ms),
      95,
    ),
    p95FirstTokenMs: percentile(
      samples.map((s) => s.firstTokenMs),
      95,
    ),
    samples,
  };
}
