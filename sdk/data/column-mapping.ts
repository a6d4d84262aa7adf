import { z } from "zod";
import { ConfigError, parseOptions } from "../errors";

/**
 * Which columns hold what, as in H2O LLM Studio's dataset settings. Exactly one of three shapes:
 * - `prompt` (one column or several, joined by `promptSeparator`) + `answer`, optional `system`, and optional
 *   `id` + `parentId` chaining rows into multi-turn conversations;
 * - `messages`: a column holding a list of `{ role, content }` (an array, or a JSON string in CSV/Parquet);
 * - `text`: raw text for continued pretraining (every token is a target).
 */
export const ColumnMappingSchema = z
  .object({
    prompt: z.union([z.string().min(1), z.array(z.string().min(1)).nonempty()]).optional(),
    promptSeparator: z.string().default("\n\n"),
    answer: z.string().min(1).optional(),
    system: z.string().min(1).optional(),
    id: z.string().min(1).optional(),
    parentId: z.string().min(1).optional(),
    /**
     * With `id`/`parentId`: `false` (H2O LLM Studio's default) makes every row the end of a sample (each prefix
     * of a conversation is trained on); `true` keeps only complete conversations.
     */
    limitChainedSamples: z.boolean().default(false),
    messages: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    /** What to do with a row whose prompt, answer or text is missing: throw (default) or drop it with a warning. */
    onMissing: z.enum(["error", "drop"]).default("error"),
  })
  .strict()
  .superRefine((m, ctx) => {
    const modes = [
      m.prompt !== undefined || m.answer !== undefined,
      m.messages !== undefined,
      m.text !== undefined,
    ];
    if (modes.filter(Boolean).length !== 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "expected exactly one of: prompt + answer, messages, text",
      });
    }
    if (modes[0] && (m.prompt === undefined || m.answer === undefined)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [m.prompt === undefined ? "prompt" : "answer"],
        message: "prompt and answer go together; name both columns",
      });
    }
    if ((m.id === undefined) !== (m.parentId === undefined)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [m.id === undefined ? "id" : "parentId"],
        message: "id and parentId go together; name both columns to chain rows into conversations",
      });
    }
    if (!modes[0] && (m.id !== undefined || m.system !== undefined)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [m.id !== undefined ? "id" : "system"],
        message: "id/parentId and system apply to prompt + answer columns only",
      });
    }
  });

/** The validated column mapping (defaults applied). */
export type ColumnMapping = z.infer<typeof ColumnMappingSchema>;
/** The column mapping as the user writes it. */
export type ColumnMappingInput = z.input<typeof ColumnMappingSchema>;

/**
 * Validates a column mapping.
 * @param input - the mapping, e.g. `{ prompt: "instruction", answer: "output" }`
 * @returns the mapping with defaults
 * @throws {@link ConfigError} when the mapping mixes shapes, misses a partner column, or has unknown keys
 * @example
 * ```ts
 * const m = parseColumnMapping({ prompt: ["instruction", "input"], answer: "output" });
 * ```
 */
export function parseColumnMapping(input: ColumnMappingInput): ColumnMapping {
  return parseOptions(ColumnMappingSchema, input, "Dataset.columns()");
}

/**
 * The source columns a mapping reads.
 * @param m - a validated mapping
 * @returns the column names, without duplicates
 * @example
 * ```ts
 * mappedColumns(parseColumnMapping({ text: "body" })); // ["body"]
 * ```
 */
export function mappedColumns(m: ColumnMapping): string[] {
  const prompts = m.prompt === undefined ? [] : Array.isArray(m.prompt) ? m.prompt : [m.prompt];
  const all = [...prompts, m.answer, m.system, m.id, m.parentId, m.messages, m.text];
  return [...new Set(all.filter((c): c is string => c !== undefined))];
}
