import { Template } from "@huggingface/jinja";
import { TokenizerError } from "../errors";
import {
  DEFAULT_RENDER_LIMITS,
  RenderLimitExceeded,
  type RenderLimits,
  renderBounded,
} from "./bounded-render";

/** One chat message. `content` is usually a string; templates may also accept parts lists. */
export interface ChatMessage {
  /** `system`, `user`, `assistant`, `tool`, … (whatever the template understands). */
  role: string;
  /** Message text (or structured content for templates that support it). */
  content: unknown;
  /** Any other field the template reads: `tool_calls`, `name`, `reasoning_content`, … */
  [key: string]: unknown;
}

/** A `chat_template` as stored: one template string, or a list of `{ name, template }`. */
export type ChatTemplateSource = string | { name: string; template: string }[] | Record<string, string>;

/**
 * Normalises the stored `chat_template` into templates by name (a single string is named `default`).
 * @param source - `chat_template` from `tokenizer_config.json`, `chat_template.json` or a `.jinja` file
 * @returns templates by name (empty when none)
 * @example
 * ```ts
 * chatTemplatesByName([{ name: "default", template: "…" }, { name: "tool_use", template: "…" }]);
 * ```
 */
export function chatTemplatesByName(source: unknown): Record<string, string> {
  if (typeof source === "string") return { default: source };
  if (Array.isArray(source)) {
    const out: Record<string, string> = {};
    for (const t of source) {
      if (t && typeof t.name === "string" && typeof t.template === "string") out[t.name] = t.template;
    }
    return out;
  }
  if (typeof source === "object" && source !== null) {
    return Object.fromEntries(Object.entries(source).filter(([, v]) => typeof v === "string")) as Record<
      string,
      string
    >;
  }
  return {};
}

/**
 * Picks the template to use, as transformers does: the one named `name` if given; otherwise `tool_use` when
 * tools are passed and it exists; otherwise `default`.
 * @param templates - templates by name
 * @param options - `name` asked for, and whether `tools` were passed
 * @returns the template string
 * @throws {@link TokenizerError} when there is no template, or not the one named
 * @example
 * ```ts
 * selectChatTemplate({ default: "{{ messages[0].content }}" }, {}); // "{{ messages[0].content }}"
 * ```
 */
export function selectChatTemplate(
  templates: Record<string, string>,
  options: { name?: string; hasTools?: boolean },
): string {
  const names = Object.keys(templates);
  if (names.length === 0) {
    throw new TokenizerError({
      problem:
        "this tokenizer has no chat_template (not in tokenizer_config.json, chat_template.json or chat_template.jinja)",
      fix: "Pass `chatTemplate` explicitly, or use a chat/instruct model's tokenizer.",
    });
  }
  const wanted = options.name ?? (options.hasTools && templates.tool_use ? "tool_use" : "default");
  const template =
    templates[wanted] ?? (options.name === undefined && names.length === 1 ? templates[names[0]] : undefined);
  if (template === undefined) {
    throw new TokenizerError({
      problem: `no chat template named "${wanted}" (available: ${names.join(", ")})`,
      fix: "Pass one of the available names as `templateName`.",
    });
  }
  return template;
}

const compiled = new Map<string, Template>();

/**
 * Renders a chat template with the variables transformers passes: `messages`, `tools`, `documents`,
 * `add_generation_prompt`, the special tokens (`bos_token`, `eos_token`, …) and any extra variables
 * (e.g. `enable_thinking`); `raise_exception` and `strftime_now` are available as in Python. Blocks are
 * rendered with `trim_blocks` and `lstrip_blocks`. Rendering is bounded in time, output size and `range()`
 * length ({@link RenderLimits}; defaults {@link DEFAULT_RENDER_LIMITS}), so a template that loops without end
 * fails with an error instead of hanging.
 *
 * @param options - `template`, `messages`, `addGenerationPrompt` (default false), optional `tools`,
 * `documents`, `specialTokens`, `variables`, `limits` (any of the {@link RenderLimits}) and `source` (where
 * the template comes from, for messages)
 * @returns the rendered prompt text
 * @throws {@link TokenizerError} when the template does not parse, raises an exception or reaches a limit
 * @example
 * ```ts
 * renderChatTemplate({
 *   template: "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}",
 *   messages: [{ role: "user", content: "Hi" }],
 * }); // "<|user|>Hi"
 * ```
 */
export function renderChatTemplate(options: {
  template: string;
  messages: readonly ChatMessage[];
  addGenerationPrompt?: boolean;
  tools?: readonly unknown[];
  documents?: readonly unknown[];
  specialTokens?: Readonly<Record<string, string>>;
  variables?: Readonly<Record<string, unknown>>;
  limits?: Partial<RenderLimits>;
  source?: string;
}): string {
  const where = () => describeTemplate(options.template, options.source);
  let template = compiled.get(options.template);
  try {
    if (!template) {
      template = new Template(options.template);
      compiled.set(options.template, template);
    }
  } catch (cause) {
    throw new TokenizerError(
      {
        problem: `the chat template does not parse (${(cause as Error).message})${where()}`,
        fix: "Fix the template's Jinja syntax.",
      },
      { cause },
    );
  }
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  const items = {
    ...options.specialTokens,
    ...options.variables,
    messages: options.messages,
    tools: options.tools ?? null,
    documents: options.documents ?? null,
    add_generation_prompt: options.addGenerationPrompt ?? false,
  };
  try {
    return renderBounded(template, items, limits);
  } catch (cause) {
    if (cause instanceof RenderLimitExceeded) {
      throw new TokenizerError(
        {
          problem: `the chat template was stopped when it reached ${cause.limit}${where()}`,
          fix: `A chat template renders a prompt from the messages; look for a loop over a huge range() or a loop without end in the template and fix it, or raise \`${cause.option}\` in the render limits if this output is really wanted.`,
        },
        { cause },
      );
    }
    throw new TokenizerError(
      {
        problem: `the chat template raised an error while rendering: ${(cause as Error).message}${where()}`,
        fix: "Check the messages against what the template accepts (roles, order, system message).",
      },
      { cause },
    );
  }
}

/** " (from <source>; it starts `{% for …`)": where the template came from and how it starts, for messages. */
function describeTemplate(template: string, source: string | undefined): string {
  const flat = template.slice(0, 200).replace(/\s+/g, " ").trim();
  const start = flat.length > 60 ? `${flat.slice(0, 60)}…` : flat;
  return ` (${source ? `from ${source}; ` : ""}it starts \`${start}\`)`;
}
