import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
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
import { loadTokenizer } from "./load-tokenizer";

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

test("a template that loops 100,000,000 times fails within seconds, naming the template's file and the limit", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tunebook-tpl-"));
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    copyFileSync(path.resolve("assets/tiny-llama", f), path.join(dir, f));
  const endless = "{% for i in range(100000000) %}x{% endfor %}";
  writeFileSync(path.join(dir, "chat_template.jinja"), endless);
  const tok = await loadTokenizer({ dir });
  const started = performance.now();
  assert.throws(
    () => tok.applyChatTemplate([{ role: "user", content: "hi" }]),
    (e: unknown) => {
      assert.ok(e instanceof TokenizerError);
      assert.ok(e.message.includes(path.join(dir, "chat_template.jinja")), e.message);
      assert.ok(e.message.includes(endless), e.message);
      assert.match(e.message, /range\(\) limit of 100000 items \(range\(0, 100000000, 1\) has 100000000\)/);
      assert.match(e.message, /maxRangeLength/);
      return true;
    },
  );
  assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
});

test("render time and output size are bounded too", () => {
  const render = (template: string, limits: Parameters<typeof renderChatTemplate>[0]["limits"]) => () =>
    renderChatTemplate({ template, messages: [{ role: "user", content: "y".repeat(1000) }], limits });
  const nested = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
  const started = performance.now();
  assert.throws(render(nested, { timeoutMs: 300 }), /stopped when it reached the time limit of 300 ms/);
  // The clock is read between template steps; setting up one loop of up to 100,000 items is not interrupted
  // (about 0.2 s on an idle machine), hence the margin.
  const took = performance.now() - started;
  assert.ok(took < 5000, `took ${took} ms`);
  const echo = "{% for i in range(1000) %}{{ messages[0].content }}{% endfor %}";
  assert.throws(render(echo, { maxOutputChars: 100_000 }), /the output limit of 100000 characters/);
  // Within the limits the same templates render.
  assert.equal(render("{% for i in range(3) %}{{ i }}{% endfor %}", {})(), "012");
  assert.equal(render(echo, {})().length, 1_000_000);
});
