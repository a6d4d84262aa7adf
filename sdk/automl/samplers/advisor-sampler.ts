/**
 * The advisor: a language model behind any OpenAI-compatible endpoint proposes the next trials from what it is
 * told of the task and the table of trials so far, with a one-line reason each. Every proposal is checked against
 * the search space and the experiment schema; an invalid one is answered with the problems found and asked again,
 * and after the retries (or when the endpoint fails) the slot goes to TPE. After `trials` proposals the search
 * continues with TPE, which learns from the advisor's trials too (the LLAMBO idea: an LLM's early proposals,
 * then the surrogate).
 */
import OpenAI from "openai";
import { extractJson } from "../../datagen/extract-json";
import { checkProposal, type Dimension, snakePath } from "../search-space";
import type { TrialParams, TrialRecord } from "../trial";
import type { Sampler, SamplerContext } from "./sampler";
import { TpeSampler } from "./tpe-sampler";

/** Options of {@link advisor}. */
export interface AdvisorOptions {
  /** An openai client for the endpoint (or give `baseURL` and `apiKey`). */
  client?: OpenAI;
  baseURL?: string;
  apiKey?: string;
  /** The model name the endpoint serves. */
  model: string;
  /** What the advisor should know of the task: the dataset summary, the backbones and their sizes, the memory plan… */
  context?: string | (() => string | Promise<string>);
  /** Answers to an invalid proposal before the slot goes to TPE (default 2). */
  retries?: number;
  /** Trials the advisor proposes before TPE takes over (default: all of them). */
  trials?: number;
  /** Sampling temperature (default 0). */
  temperature?: number;
  /** Milliseconds per request (default 60 000). */
  timeoutMs?: number;
}

function describe(d: Dimension): string {
  const range =
    d.kind === "choice"
      ? `one of ${JSON.stringify(d.values)}`
      : `${d.kind === "int" ? "an integer" : "a number"} in [${d.low}, ${d.high}]${d.kind === "log_uniform" || (d.kind === "int" && d.log) ? " (log scale)" : ""}`;
  const when = d.when ? ` — only when ${snakePath(d.when.path)} is one of ${JSON.stringify(d.when.in)}` : "";
  return `- ${snakePath(d.path)}: ${range}${when}`;
}

/**
 * The trials so far as a text table for the advisor (objective lower-is-better as the samplers see it).
 * @param history - the trials
 * @returns one line per trial
 */
function trialTable(history: readonly TrialRecord[]): string {
  if (history.length === 0) return "(no trials yet)";
  return history
    .map((t) => {
      const params = Object.entries(t.params)
        .map(([k, v]) => `${snakePath(k)}=${JSON.stringify(v)}`)
        .join(", ");
      const value = t.value === undefined ? "" : ` objective ${t.value.toPrecision(5)}`;
      const last = [...t.intermediate.entries()].pop();
      const partial =
        t.state === "pruned" && last ? ` (stopped at step ${last[0]} with ${last[1].toPrecision(5)})` : "";
      return `trial ${t.number}: ${params} → ${t.state}${value}${partial}`;
    })
    .join("\n");
}

/** The advisor sampler; build it with {@link advisor}. */
export class AdvisorSampler implements Sampler {
  readonly name = "advisor";
  lastProposal?: { source: string; reason?: string };
  private readonly client: OpenAI;
  private readonly fallback: TpeSampler;
  private proposals = 0;

  constructor(
    private readonly context: SamplerContext,
    private readonly options: AdvisorOptions,
  ) {
    this.client =
      options.client ?? new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? "none" });
    this.fallback = new TpeSampler(context);
  }

  /**
   * @param history - the trials so far
   * @returns the advisor's checked proposal, or TPE's after the retries / beyond `trials`
   * @example
   * ```ts
   * await sampler.propose(history);
   * ```
   */
  async propose(history: readonly TrialRecord[]): Promise<TrialParams> {
    if (this.options.trials !== undefined && this.proposals >= this.options.trials) {
      this.lastProposal = { source: "tpe" };
      return this.fallback.propose(history);
    }
    this.proposals += 1;
    const context =
      typeof this.options.context === "function" ? await this.options.context() : this.options.context;
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      {
        role: "system",
        content:
          "You tune the hyperparameters of a language-model fine-tuning experiment. Propose the next trial. " +
          'Reply with JSON only: {"params": {"<setting>": <value>, ...}, "reason": "<one line>"}. ' +
          "Give every setting below that applies, within its range. The objective is lower-is-better.",
      },
      {
        role: "user",
        content: `${context ? `Task:\n${context}\n\n` : ""}Settings to choose:\n${this.context.space.dimensions.map(describe).join("\n")}\n\nTrials so far:\n${trialTable(history)}`,
      },
    ];
    const retries = this.options.retries ?? 2;
    let last = "";
    for (let attempt = 0; attempt <= retries; attempt++) {
      let text: string;
      try {
        const r = await this.client.chat.completions.create(
          { model: this.options.model, messages, temperature: this.options.temperature ?? 0 },
          { timeout: this.options.timeoutMs ?? 60_000, maxRetries: 0 },
        );
        text = r.choices[0]?.message?.content ?? "";
      } catch (e) {
        last = `the endpoint failed: ${(e as Error).message}`;
        continue;
      }
      const problem = this.check(text);
      if (problem.ok) {
        this.lastProposal = { source: "advisor", reason: problem.reason };
        return problem.params;
      }
      last = problem.issues.join("; ");
      messages.push(
        { role: "assistant", content: text },
        {
          role: "user",
          content: `That proposal is not valid: ${last}. Reply again with JSON only, in the same format.`,
        },
      );
    }
    this.lastProposal = { source: "tpe", reason: `advisor fallback after ${retries + 1} attempts: ${last}` };
    return this.fallback.propose(history);
  }

  private check(
    text: string,
  ): { ok: true; params: TrialParams; reason?: string } | { ok: false; issues: string[] } {
    const json = extractJson(text);
    if (!json.ok) return { ok: false, issues: ["the reply holds no JSON object"] };
    const value = json.value as { params?: unknown; reason?: unknown };
    if (typeof value.params !== "object" || value.params === null || Array.isArray(value.params)) {
      return { ok: false, issues: ['expected an object under "params"'] };
    }
    const checked = checkProposal(
      this.context.space,
      value.params as Record<string, unknown>,
      this.context.base,
    );
    if (!checked.ok) return checked;
    const reason = typeof value.reason === "string" ? value.reason.split("\n")[0]?.slice(0, 300) : undefined;
    return { ok: true, params: checked.params, reason };
  }
}

/**
 * The advisor as a search strategy.
 * @param options - endpoint, model, what to tell it, retries, how many trials it proposes
 * @returns a sampler factory for `runSearch`'s `strategy`
 * @example
 * ```ts
 * await runSearch(exp, { space, strategy: advisor({ baseURL: "http://127.0.0.1:8000/v1", model: "tiny" }) });
 * ```
 */
export function advisor(options: AdvisorOptions): (context: SamplerContext) => Sampler {
  return (context) => new AdvisorSampler(context, options);
}
