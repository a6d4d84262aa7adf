/**
 * Judge prompt templates, modelled on H2O LLM Studio's (general, RAG, MT-Bench): the judge explains first, then
 * writes `SCORE: <n>` on the last line. Placeholders: `{prompt}`, `{prediction}`, `{reference}`, `{context}`.
 */

/** A judge template: the user message, its score range, and a system message. */
export interface JudgeTemplate {
  /** Template name, e.g. `"general"`. */
  name: string;
  /** User message with `{prompt}`, `{prediction}`, `{reference}`, `{context}` placeholders. */
  template: string;
  /** Lowest and highest score the template asks for. */
  scale: [number, number];
  /** System message sent before the template. */
  system: string;
}

const SYSTEM = "You are a careful, impartial assistant who grades the quality of answers.";
const FORMAT = `First explain your evaluation. Then give the score on the last line. Answer in exactly two parts:
EXPLANATION: ...
SCORE: ...`;

/** Built-in templates by name. */
export const JUDGE_TEMPLATES: Record<"general" | "rag" | "mt-bench" | "mt-bench-reference", JudgeTemplate> = {
  general: {
    name: "general",
    scale: [0, 1],
    system: SYSTEM,
    template: `[System]
Please give feedback on how well an AI assistant answered the question below, compared with the reference answer.

[Question]
{prompt}

[Reference Answer]
{reference}
[End of Reference Answer]

[Task]
Rate the helpfulness, relevance, accuracy and level of detail of the assistant's answer shown below on a scale from 0 to 1: 0 means it did not address the question, 0.5 that it partly did, 1 that it answered it perfectly.
${FORMAT}

[Assistant Answer]
{prediction}
[End of Assistant Answer]`,
  },
  rag: {
    name: "rag",
    scale: [0, 1],
    system: SYSTEM,
    template: `[System]
Please give feedback on how well an AI assistant answered the question below using the given context. A good reference answer is provided to help you.

[Context]
{context}

[Question]
{prompt}

[Reference Answer]
{reference}
[End of Reference Answer]

[Task]
Rate the helpfulness, relevance and accuracy of the assistant's answer shown below on a scale from 0 to 1: 0 means it did not address the question, 0.5 that it partly did, 1 that it answered it perfectly. Facts and figures must be exact for a perfect score; claims the context does not support cost 0.5.
${FORMAT}

[Assistant Answer]
{prediction}
[End of Assistant Answer]`,
  },
  "mt-bench": {
    name: "mt-bench",
    scale: [1, 10],
    system: SYSTEM,
    template: `[Instruction]
Act as an impartial judge of the answer an AI assistant gave to the user question below. Consider helpfulness, relevance, accuracy, depth, creativity and level of detail. Start with a short, objective explanation, then rate the answer from 1 to 10.
${FORMAT}

[Question]
{prompt}

[Assistant's Answer]
{prediction}
[End of Assistant's Answer]`,
  },
  "mt-bench-reference": {
    name: "mt-bench-reference",
    scale: [1, 10],
    system: SYSTEM,
    template: `[Instruction]
Act as an impartial judge of the answer an AI assistant gave to the user question below (math, reasoning or coding). Compare it with the reference answer, find and correct any mistakes, and be objective. Start with a short explanation, then rate the answer from 1 to 10.
${FORMAT}

[Question]
{prompt}

[Reference Answer]
{reference}
[End of Reference Answer]

[Assistant's Answer]
{prediction}
[End of Assistant's Answer]`,
  },
};

/**
 * Fills a template's placeholders. Unknown placeholders and other braces are left as they are.
 * @param template - text with `{prompt}`, `{prediction}`, `{reference}`, `{context}`
 * @param values - the row's values
 * @returns the filled text
 * @example
 * ```ts
 * fillTemplate("Q: {prompt}", { prompt: "2+2?", prediction: "4", reference: "4", context: "" }); // "Q: 2+2?"
 * ```
 */
export function fillTemplate(
  template: string,
  values: { prompt: string; prediction: string; reference: string; context: string },
): string {
  return template.replace(
    /\{(prompt|prediction|reference|context)\}/g,
    (_, key: keyof typeof values) => values[key],
  );
}
