/**
 * Adapts a `Backbone` (sdk/models) to the server's {@link ServableModel}: token counts with the model's
 * tokenizer, its chat template, and generation on the KV-cache graph, one chunk per generated token.
 */
import path from "node:path";
import { z } from "zod";
import { ConfigError, parseOptions } from "../errors";
import { type Backbone, contextLengthOf, type Tokenizer } from "../models";
import type { ChatMessage, GenerateOptions, GenerationChunk, ServableModel } from "./servable-model";

const OptionsSchema = z
  .object({
    /** The loaded model (with its tokenizer). */
    backbone: z.custom<Backbone>(
      (b) => typeof b === "object" && b !== null && "modelDir" in b && "generate" in b,
      { message: "expected a Backbone (from Backbone.load)" },
    ),
    /** The name clients pass as `model` (default: the model directory's name). */
    id: z.string().min(1).optional(),
    /** Generations run at once (default 1; more share the CPU and one onnxruntime session). */
    maxConcurrentGenerations: z.number().int().positive().default(1),
  })
  .strict();

/** Options of {@link servableBackbone}. */
export type ServableBackboneOptions = z.input<typeof OptionsSchema>;

/**
 * Encodes text as generation will see it: special tokens added unless the text already starts with BOS. An
 * empty prompt is the beginning-of-sequence token alone (generation starts from it, as OpenAI's does), or no
 * token when the model has none (the server then refuses the request, naming the field).
 */
function encodePrompt(tokenizer: Tokenizer, bosId: number | undefined, text: string): number[] {
  const bos = tokenizer.specialTokens.bos_token;
  const templated = bos !== undefined && bos !== "" && text.startsWith(bos);
  const ids = tokenizer.encode(text, { addSpecialTokens: !templated });
  return ids.length === 0 && bosId !== undefined ? [bosId] : ids;
}

/** The model's beginning-of-sequence id: the tokenizer's, else config.json's `bos_token_id`. */
function bosTokenId(backbone: Backbone, tokenizer: Tokenizer): number | undefined {
  const fromConfig = backbone.modelDir.config.bos_token_id;
  return tokenizer.bosTokenId ?? (Number.isInteger(fromConfig) ? (fromConfig as number) : undefined);
}

/**
 * Wraps a backbone for {@link serve}.
 * @param options - `backbone`, optional `id` and `maxConcurrentGenerations`
 * @returns a servable model: temperature 0 is greedy, otherwise sampling with `temperature` and `top_p`
 *   (no top-k); `seed` makes sampling reproducible; the stop sequences are applied by the model too
 * @throws ConfigError for invalid options or a backbone loaded without a tokenizer
 * @example
 * ```ts
 * const backbone = await Backbone.load("models/tiny");
 * const server = await serve({ model: servableBackbone({ backbone }), port: 0 });
 * ```
 */
export function servableBackbone(options: ServableBackboneOptions): ServableModel {
  const { backbone, id, maxConcurrentGenerations } = parseOptions(
    OptionsSchema,
    options,
    "servableBackbone options",
  );
  const tokenizer = backbone.modelDir.tokenizer;
  if (!tokenizer) {
    const message = "the backbone has no tokenizer; load it with Backbone.load(dir) (tokenizer: true)";
    throw new ConfigError([{ path: ["backbone"], message }], { source: "servableBackbone options" });
  }
  const bos = bosTokenId(backbone, tokenizer);
  const encode = (text: string) => encodePrompt(tokenizer, bos, text);
  return {
    id: id ?? path.basename(backbone.modelDir.dir),
    contextLength: contextLengthOf(backbone),
    maxConcurrentGenerations,
    countTokens: (text) => encode(text).length,
    applyChatTemplate: (messages: readonly ChatMessage[]) =>
      tokenizer.applyChatTemplate(
        messages.map((m) => ({ role: m.role, content: m.content })),
        { addGenerationPrompt: true },
      ),
    generate: (prompt, opts) => generateChunks(backbone, encode(prompt), opts),
  };
}

async function* generateChunks(
  backbone: Backbone,
  ids: number[],
  opts: GenerateOptions,
): AsyncGenerator<GenerationChunk, void, undefined> {
  const sample = opts.temperature > 0;
  const stream = backbone.stream({
    inputIds: [ids],
    maxNewTokens: opts.maxTokens,
    doSample: sample,
    ...(sample ? { temperature: opts.temperature, topP: opts.topP, topK: 0 } : {}),
    stopStrings: opts.stop.filter((s) => s.length > 0),
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    signal: opts.signal,
  });
  for await (const chunk of stream) {
    const { finishReason } = chunk;
    yield finishReason === "stop" || finishReason === "length"
      ? { text: chunk.text, finishReason }
      : { text: chunk.text };
  }
}
