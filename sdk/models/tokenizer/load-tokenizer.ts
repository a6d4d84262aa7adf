import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ModelDirError, parseOptions } from "../errors";
import { Tokenizer } from "./tokenizer";

const Options = z
  .object({
    dir: z.string().min(1),
    chatTemplate: z.unknown().optional(),
  })
  .strict();

/** Options of {@link loadTokenizer}. */
export type LoadTokenizerOptions = z.input<typeof Options>;

/**
 * Reads and parses a JSON file of a model directory.
 * @param dir - the model directory
 * @param file - file name inside it
 * @param required - when false, a missing file gives `undefined`
 * @returns the parsed JSON object
 * @throws {@link ModelDirError} when required and missing, or not a JSON object
 * @example
 * ```ts
 * const config = await readJsonFile("/m", "config.json", true);
 * ```
 */
export async function readJsonFile(
  dir: string,
  file: string,
  required: boolean,
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, file), "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT" && !required) return undefined;
    throw new ModelDirError(
      {
        dir,
        file,
        problem:
          (cause as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : `cannot read it (${cause})`,
        fix: "Download the complete model directory (e.g. with resolveModel) or copy the missing file into it.",
      },
      { cause },
    );
  }
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === "object" && json !== null && !Array.isArray(json))
      return json as Record<string, unknown>;
  } catch (cause) {
    throw new ModelDirError(
      { dir, file, problem: `not valid JSON (${(cause as Error).message})`, fix: "Download the file again." },
      { cause },
    );
  }
  throw new ModelDirError({ dir, file, problem: "expected a JSON object", fix: "Download the file again." });
}

/** The chat template of `dir` from chat_template.jinja or chat_template.json, with the file it came from. */
async function readChatTemplate(dir: string): Promise<{ template: unknown; source: string } | undefined> {
  const jinja = path.join(dir, "chat_template.jinja");
  try {
    return { template: await readFile(jinja, "utf8"), source: jinja };
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw cause;
  }
  const template = (await readJsonFile(dir, "chat_template.json", false))?.chat_template;
  return template === undefined ? undefined : { template, source: path.join(dir, "chat_template.json") };
}

function idList(value: unknown): number[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0);
}

/**
 * Loads the tokenizer of a Hugging Face model directory: `tokenizer.json` (required), `tokenizer_config.json`
 * (special tokens, chat template), the chat template from `chat_template.jinja` or `chat_template.json` when
 * present (newer transformers save it there), and extra end-of-generation ids from `generation_config.json`.
 *
 * @param options - `dir`, and optional `chatTemplate` overriding the stored one
 * @returns the tokenizer
 * @throws {@link ModelDirError} when tokenizer.json is missing or a file is not valid JSON
 * @throws {@link TokenizerError} when tokenizer.json is not a supported tokenizer
 * @example
 * ```ts
 * const tok = await loadTokenizer({ dir: "models/tiny" });
 * tok.encode("Hello");
 * ```
 */
export async function loadTokenizer(options: LoadTokenizerOptions): Promise<Tokenizer> {
  const opts = parseOptions(Options, options, "loadTokenizer options");
  const dir = path.resolve(opts.dir);
  let tokenizerJson: Record<string, unknown> | undefined;
  try {
    tokenizerJson = await readJsonFile(dir, "tokenizer.json", true);
  } catch (error) {
    if (error instanceof ModelDirError && error.problem === "file not found") {
      throw new ModelDirError({
        dir,
        file: "tokenizer.json",
        problem: "file not found (tunebook needs the 'fast' tokenizer file)",
        fix: "Copy tokenizer.json from the base model, or save it in Python with AutoTokenizer.from_pretrained(...).save_pretrained(dir).",
      });
    }
    throw error;
  }
  const tokenizerConfig = (await readJsonFile(dir, "tokenizer_config.json", false)) ?? {};
  const generationConfig = (await readJsonFile(dir, "generation_config.json", false)) ?? {};
  const given = opts.chatTemplate ?? undefined;
  const fromFile = given === undefined ? await readChatTemplate(dir) : undefined;
  const [chatTemplate, chatTemplateSource] =
    given !== undefined
      ? [given, "the chatTemplate option"]
      : fromFile
        ? [fromFile.template, fromFile.source]
        : [tokenizerConfig.chat_template, path.join(dir, "tokenizer_config.json")];
  return Tokenizer.create({
    tokenizerJson: tokenizerJson as Record<string, unknown>,
    tokenizerConfig,
    chatTemplate,
    chatTemplateSource,
    extraEosTokenIds: idList(generationConfig.eos_token_id),
  });
}
