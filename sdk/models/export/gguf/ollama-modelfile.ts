/**
 * The Ollama `Modelfile` written beside a GGUF export: `FROM` the file, a `TEMPLATE` in Ollama's Go-template
 * syntax when the chat template is one of the well-known formats (ChatML, Llama 3, Gemma), else none (Ollama
 * then uses the Jinja template embedded in the GGUF, which it matches against the formats it knows), and one
 * `PARAMETER stop` per end-of-turn token.
 */

/** Go templates for the chat formats recognised in a Jinja template, by a marker it contains. */
const TEMPLATES: readonly { readonly name: string; readonly marker: string; readonly template: string }[] = [
  {
    name: "ChatML",
    marker: "<|im_start|>",
    template: `{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
`,
  },
  {
    name: "Llama 3",
    marker: "<|start_header_id|>",
    template: `{{- if .System }}<|start_header_id|>system<|end_header_id|>

{{ .System }}<|eot_id|>{{ end }}
{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

`,
  },
  {
    name: "Gemma",
    marker: "<start_of_turn>",
    template: `{{- range .Messages }}<start_of_turn>{{ if eq .Role "assistant" }}model{{ else }}{{ .Role }}{{ end }}
{{ .Content }}<end_of_turn>
{{ end }}<start_of_turn>model
`,
  },
];

/** What {@link renderModelfile} needs. */
export interface ModelfileOptions {
  /** The GGUF file name beside the Modelfile. */
  readonly gguf: string;
  /** The model's Jinja chat template, if any. */
  readonly chatTemplate: string | undefined;
  /** Texts of the tokens that end a turn (`PARAMETER stop`). */
  readonly stopTokens: readonly string[];
}

/**
 * Renders an Ollama Modelfile.
 * @param options - `gguf`, `chatTemplate`, `stopTokens`
 * @returns the Modelfile text and which template format it wrote (`undefined`: the GGUF's embedded one)
 * @example
 * ```ts
 * renderModelfile({ gguf: "model.gguf", chatTemplate: "{{ '<|im_start|>' }}…", stopTokens: ["<|im_end|>"] }).text;
 * ```
 */
export function renderModelfile(options: ModelfileOptions): { text: string; format: string | undefined } {
  const known = options.chatTemplate
    ? TEMPLATES.find((t) => options.chatTemplate?.includes(t.marker))
    : undefined;
  const lines = ["# Ollama Modelfile written by tunebook: `ollama create <name> -f Modelfile`", ""];
  lines.push(`FROM ./${options.gguf}`, "");
  if (known) {
    lines.push(`# ${known.name} chat format, converted from the model's chat template.`);
    lines.push(`TEMPLATE """${known.template}"""`, "");
  } else if (options.chatTemplate) {
    lines.push(
      "# No TEMPLATE: Ollama uses the chat template embedded in the GGUF (tokenizer.chat_template).",
      "",
    );
  }
  for (const stop of options.stopTokens) lines.push(`PARAMETER stop ${JSON.stringify(stop)}`);
  return { text: `${lines.join("\n")}\n`, format: known?.name };
}
