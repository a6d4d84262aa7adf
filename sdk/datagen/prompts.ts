import { z } from "zod";
import type { PromptMessage } from "./llm-call";

/**
 * Field names of a zod object schema (unwrapping effects), or none for other schemas.
 * @param schema - a zod schema
 * @returns the keys of its shape
 * @example
 * ```ts
 * schemaKeys(z.object({ q: z.string(), a: z.string() })); // ["q", "a"]
 * ```
 */
export function schemaKeys(schema: z.ZodTypeAny): string[] {
  let s: z.ZodTypeAny = schema;
  while (s instanceof z.ZodEffects) s = s.innerType();
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

const SYSTEM_JSON =
  "You create high-quality data for training language models. Reply with exactly one JSON object and nothing else.";

/**
 * Messages asking for one new row like the examples.
 * @param options - the instruction, seed examples, schema keys and the call number (asks for variety)
 * @returns the chat messages
 * @example
 * ```ts
 * generationMessages({ instruction: "A trivia question and its answer", examples: [{ q: "2+2?", a: "4" }], keys: ["q", "a"], call: 0 });
 * ```
 */
export function generationMessages(options: {
  instruction: string;
  examples: readonly Record<string, unknown>[];
  keys: readonly string[];
  call: number;
}): PromptMessage[] {
  const lines = [options.instruction.trim(), ""];
  if (options.examples.length) {
    lines.push("Examples:", ...options.examples.map((e) => JSON.stringify(e)), "");
  }
  lines.push(
    `Write one new example (#${options.call + 1}), different from the examples above.`,
    options.keys.length
      ? `Reply with a JSON object with exactly the keys: ${options.keys.map((k) => JSON.stringify(k)).join(", ")}.`
      : "Reply with a JSON object.",
  );
  return [
    { role: "system", content: SYSTEM_JSON },
    { role: "user", content: lines.join("\n") },
  ];
}

/**
 * Messages asking for one record's annotation: free text, or a JSON object `{ [column]: value }`.
 * @param options - the instruction, the record's input fields, the output column, and what the value may be
 * @returns the chat messages
 * @example
 * ```ts
 * annotationMessages({ instruction: "Classify the sentiment", input: { text: "great!" }, column: "label", structured: true, labels: ["pos", "neg"] });
 * ```
 */
export function annotationMessages(options: {
  instruction: string;
  input: Record<string, unknown>;
  column: string;
  structured: boolean;
  labels?: readonly string[];
}): PromptMessage[] {
  const lines = [options.instruction.trim(), "", "Record:", JSON.stringify(options.input), ""];
  if (options.labels)
    lines.push(`Allowed values: ${options.labels.map((l) => JSON.stringify(l)).join(", ")}.`);
  if (options.structured) {
    lines.push(`Reply with a JSON object with one key, ${JSON.stringify(options.column)}.`);
    return [
      { role: "system", content: SYSTEM_JSON },
      { role: "user", content: lines.join("\n") },
    ];
  }
  lines.push(`Reply with the ${options.column} only.`);
  return [{ role: "user", content: lines.join("\n") }];
}
