import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { TokenizerError } from "../errors";
import { runPython } from "../testing/run-python";
import {
  type ChatMessage,
  chatTemplatesByName,
  renderChatTemplate,
  selectChatTemplate,
} from "./chat-template";

const templates = JSON.parse(
  readFileSync(path.resolve("sdk/models/tokenizer/fixtures/chat-templates.json"), "utf8"),
) as Record<string, string>;

// Renders like transformers' render_jinja_template: ImmutableSandboxedEnvironment with trim_blocks,
// lstrip_blocks and loopcontrols, its tojson filter (ensure_ascii=False), raise_exception and strftime_now.
const PY_RENDER = `
import json, sys
from datetime import datetime
import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment
def raise_exception(message): raise jinja2.exceptions.TemplateError(message)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
  return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda f: datetime.now().strftime(f)
out = []
for case in json.load(sys.stdin):
  try:
    t = env.from_string(case["template"])
    out.append({"ok": t.render(messages=case["messages"], tools=case.get("tools"), documents=None,
      add_generation_prompt=case["add_generation_prompt"], **case["special"])})
  except jinja2.exceptions.TemplateError as e:
    out.append({"error": str(e)})
print(json.dumps(out))
`;

const special = { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: "<pad>" };
const chat: ChatMessage[] = [
  { role: "system", content: "  You are terse. Ünïcode ✓  " },
  { role: "user", content: "What is 2+2?" },
  { role: "assistant", content: "4" },
  { role: "user", content: "And 3+3?\nThink." },
];
const noSystem = chat.slice(1);
const tools = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather for a city (°C)",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];
const toolChat: ChatMessage[] = [
  { role: "user", content: "Weather in Zürich?" },
  {
    role: "assistant",
    content: "",
    tool_calls: [{ type: "function", function: { name: "get_weather", arguments: { city: "Zürich" } } }],
  },
  { role: "tool", content: '{"temp": 21}' },
];

interface Case {
  template: string;
  messages: ChatMessage[];
  tools?: unknown[];
  add_generation_prompt: boolean;
  special: Record<string, string>;
}

test("real Qwen2.5, Llama-3.1 and Gemma templates render exactly as Python jinja2 renders them", () => {
  const cases: Case[] = [];
  for (const name of ["qwen2.5", "llama3.1", "gemma"]) {
    for (const messages of [chat, noSystem, toolChat]) {
      for (const add of [false, true]) {
        cases.push({ template: templates[name], messages, add_generation_prompt: add, special });
        if (name !== "gemma")
          cases.push({ template: templates[name], messages, tools, add_generation_prompt: add, special });
      }
    }
  }
  const expected = JSON.parse(runPython(PY_RENDER, [], JSON.stringify(cases))) as (
    | { ok: string }
    | { error: string }
  )[];
  let rendered = 0;
  cases.forEach((c, i) => {
    const exp = expected[i];
    const run = () =>
      renderChatTemplate({
        template: c.template,
        messages: c.messages,
        tools: c.tools,
        addGenerationPrompt: c.add_generation_prompt,
        specialTokens: c.special,
      });
    if ("ok" in exp) {
      assert.equal(run(), exp.ok, `case ${i}`);
      rendered++;
    } else {
      assert.throws(
        run,
        (e: unknown) => e instanceof TokenizerError && e.message.includes(exp.error),
        `case ${i}`,
      );
    }
  });
  // Most cases render; Gemma refuses a system message and tool roles, as in Python.
  assert.ok(rendered >= 20, `only ${rendered} cases rendered`);
  assert.ok(expected.some((e) => "error" in e && e.error === "System role not supported"));
});

test("named templates are selected like transformers, with clear errors", () => {
  const named = chatTemplatesByName([
    { name: "default", template: "D" },
    { name: "tool_use", template: "T" },
  ]);
  assert.equal(selectChatTemplate(named, {}), "D");
  assert.equal(selectChatTemplate(named, { hasTools: true }), "T");
  assert.equal(selectChatTemplate(named, { name: "tool_use" }), "T");
  assert.throws(
    () => selectChatTemplate(named, { name: "rag" }),
    /no chat template named "rag" \(available: default, tool_use\)/,
  );
  assert.throws(() => selectChatTemplate({}, {}), TokenizerError);
  assert.throws(
    () => renderChatTemplate({ template: "{% if %}", messages: [] }),
    /the chat template does not parse/,
  );
});
