/**
 * The model card (`README.md`) of an exported model: YAML front matter the Hugging Face Hub reads
 * (`base_model`, `library_name`, `tags`, …), then what was trained, the training configuration and the metrics
 * as Markdown tables, and how to load the folder.
 */
import YAML from "yaml";
import { z } from "zod";

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Schema of {@link ModelCardOptions}. */
export const ModelCardOptionsSchema = z
  .object({
    /** Heading (default: the folder name). */
    title: z.string().min(1).optional(),
    /** A paragraph under the heading. */
    description: z.string().optional(),
    /** The base model's hub id or name (default: the base config's `_name_or_path`, else its folder name). */
    baseModel: z.string().min(1).optional(),
    /** SPDX-style license id for the front matter, e.g. `apache-2.0`. */
    license: z.string().min(1).optional(),
    /** Extra tags (added to `tunebook`, `text-generation` and the model type). */
    tags: z.array(z.string().min(1)).default([]),
    /** Dataset names or hub ids used for training. */
    datasets: z.array(z.string().min(1)).default([]),
    /** Language codes, e.g. `["en"]`. */
    language: z.array(z.string().min(1)).default([]),
    /** The training configuration (any JSON-like object; nested keys are shown dotted). */
    trainingConfig: z.record(z.unknown()).optional(),
    /** Final metrics by name, e.g. `{ perplexity: 12.3, bleu: 0.41 }`. */
    metrics: z.record(Scalar).optional(),
  })
  .strict();

/** What the model card says beyond the facts the export knows (input form). */
export type ModelCardOptions = z.input<typeof ModelCardOptionsSchema>;

/** Facts of the export the card reports. */
export interface ModelCardFacts {
  /** The exported folder's name. */
  name: string;
  /** `config.model_type`. */
  modelType: string;
  /** The base model name for `base_model`. */
  baseModel: string;
  /** LoRA settings when adapters were merged; undefined for full fine-tuning or a plain copy. */
  lora?: {
    r: number;
    alpha: number;
    useRslora: boolean;
    /** DoRA (weight-decomposed LoRA); absent means false. */
    useDora?: boolean;
    scale: number;
    modules: number;
    targets: string[];
  };
  /** True when backbone weights themselves were trained (full fine-tuning). */
  fullFineTuning: boolean;
  /** Parameter count of the exported weights. */
  parameters: number;
  /** What the folder holds (default `safetensors`): the usage section and tags follow it. */
  format?: "safetensors" | "onnx" | "peft";
}

/**
 * Flattens a nested object into dotted keys with printable values.
 * @param value - any JSON-like object
 * @param prefix - key prefix
 * @returns `[key, value]` rows in insertion order
 * @example
 * ```ts
 * flattenConfig({ training: { epochs: 3 } }); // [["training.epochs", "3"]]
 * ```
 */
export function flattenConfig(value: Record<string, unknown>, prefix = ""): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      rows.push(...flattenConfig(v as Record<string, unknown>, name));
    } else if (v !== undefined && typeof v !== "function") {
      rows.push([name, typeof v === "string" ? v : JSON.stringify(v, bigintSafe)]);
    }
  }
  return rows;
}

function bigintSafe(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function table(header: [string, string], rows: [string, string][]): string {
  const lines = [`| ${header[0]} | ${header[1]} |`, "| --- | --- |"];
  for (const [k, v] of rows) lines.push(`| ${cell(k)} | ${cell(v)} |`);
  return lines.join("\n");
}

function frontMatter(card: z.output<typeof ModelCardOptionsSchema>, facts: ModelCardFacts): string {
  const tags = [
    ...new Set([
      "tunebook",
      "text-generation",
      facts.modelType,
      ...(facts.lora ? ["lora", facts.format === "peft" ? "peft" : "peft-merged"] : []),
      ...(facts.format === "onnx" ? ["onnx", "transformers.js"] : []),
      ...card.tags,
    ]),
  ];
  const meta: Record<string, unknown> = {
    base_model: facts.baseModel,
    library_name: facts.format === "onnx" ? "transformers.js" : facts.format === "peft" ? "peft" : "tunebook",
    pipeline_tag: "text-generation",
    tags,
  };
  if (card.license) meta.license = card.license;
  if (card.datasets.length) meta.datasets = card.datasets;
  if (card.language.length) meta.language = card.language;
  return `---\n${YAML.stringify(meta)}---\n`;
}

function trainingSection(facts: ModelCardFacts): string {
  const { lora } = facts;
  if (lora) {
    const kind = lora.useRslora ? "rsLoRA, scale alpha/√r" : "scale alpha/r";
    const name = lora.useDora ? "DoRA" : "LoRA";
    const formula = lora.useDora
      ? "W' = m ⊙ (W + scale · B · A) / ‖W + scale · B · A‖ per row"
      : "W' = W + scale · B · A";
    if (facts.format === "peft") {
      return [
        `A ${name} adapter (r = ${lora.r}, alpha = ${lora.alpha}, ${kind} = ${lora.scale}) on`,
        `${lora.targets.map((t) => `\`${t}\``).join(", ")} (${lora.modules} modules), in PEFT format: load it on top`,
        "of the base model.",
      ].join(" ");
    }
    return [
      `Fine-tuned with ${name} (r = ${lora.r}, alpha = ${lora.alpha}, ${kind} = ${lora.scale}) on`,
      `${lora.targets.map((t) => `\`${t}\``).join(", ")}; the adapters of ${lora.modules} modules are merged`,
      `into the weights (${formula}), so the folder loads without PEFT.`,
    ].join(" ");
  }
  if (facts.fullFineTuning) return "Fully fine-tuned: every weight is the trained value.";
  return "The base weights, unchanged.";
}

function peftUsageSection(name: string, base: string): string {
  return [
    "## Usage",
    "",
    "```python",
    "from peft import PeftModel",
    "from transformers import AutoModelForCausalLM",
    `model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("${base}"), "${name}")`,
    "```",
    "",
    "```ts",
    `const backbone = await Backbone.load("${base}", { adapter: "${name}" });`,
    "```",
  ].join("\n");
}

function onnxUsageSection(name: string): string {
  return [
    "## Usage",
    "",
    "With transformers.js (Node or the browser); `dtype` picks `onnx/model.onnx` (`fp32`),",
    "`onnx/model_quantized.onnx` (`q8`) or `onnx/model_q4.onnx` (`q4`) where present:",
    "",
    "```js",
    'import { pipeline } from "@huggingface/transformers";',
    `const generator = await pipeline("text-generation", "${name}", { dtype: "fp32" });`,
    'const [out] = await generator("Hello", { max_new_tokens: 32, do_sample: false });',
    "```",
  ].join("\n");
}

function usageSection(name: string): string {
  return [
    "## Usage",
    "",
    "```python",
    "from transformers import AutoModelForCausalLM, AutoTokenizer",
    `model = AutoModelForCausalLM.from_pretrained("${name}")`,
    `tokenizer = AutoTokenizer.from_pretrained("${name}")`,
    "```",
    "",
    "```ts",
    `const backbone = await Backbone.load("${name}");`,
    "```",
  ].join("\n");
}

/**
 * Renders the model card.
 * @param card - what the user adds (title, description, training config, metrics, tags, …)
 * @param facts - what the export knows (model type, base model, LoRA merge, parameter count)
 * @returns the Markdown text with YAML front matter
 * @throws nothing of its own: validate `card` with {@link ModelCardOptionsSchema} first
 * @example
 * ```ts
 * const text = renderModelCard(ModelCardOptionsSchema.parse({ metrics: { perplexity: 9.1 } }), {
 *   name: "merged", modelType: "llama", baseModel: "tiny-llama", fullFineTuning: false, parameters: 1000,
 * });
 * ```
 */
export function renderModelCard(
  card: z.output<typeof ModelCardOptionsSchema>,
  facts: ModelCardFacts,
): string {
  const parts = [frontMatter(card, facts), `# ${card.title ?? facts.name}`, ""];
  if (card.description) parts.push(card.description, "");
  parts.push(`Base model: \`${facts.baseModel}\` (${facts.modelType}, ${facts.parameters} parameters).`, "");
  parts.push("## Training", "", trainingSection(facts), "");
  if (card.trainingConfig && Object.keys(card.trainingConfig).length) {
    parts.push(
      "### Training configuration",
      "",
      table(["setting", "value"], flattenConfig(card.trainingConfig)),
      "",
    );
  }
  if (card.metrics && Object.keys(card.metrics).length) {
    const rows = Object.entries(card.metrics).map(([k, v]): [string, string] => [k, String(v)]);
    parts.push("## Metrics", "", table(["metric", "value"], rows), "");
  }
  if (facts.format === "peft") {
    parts.push(
      peftUsageSection(facts.name, facts.baseModel),
      "",
      "Exported with tunebook (PEFT LoRA adapter).",
      "",
    );
  } else if (facts.format === "onnx") {
    parts.push(onnxUsageSection(facts.name), "", "Exported with tunebook (ONNX with a KV cache).", "");
  } else parts.push(usageSection(facts.name), "", "Exported with tunebook (float32 safetensors).", "");
  return parts.join("\n");
}
