/**
 * Exports a trained backbone as a GGUF file for llama.cpp and Ollama: the merged weights (LoRA folded in) in
 * f32, f16, q8_0 or q4_0, the model hyperparameters, the tokenizer and chat template as metadata, and an Ollama
 * `Modelfile` beside it, in a folder written atomically like the other exports.
 */
import path from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../../util";
import type { Backbone } from "../../backbone";
import { parseOptions } from "../../errors";
import { writeDirAtomic } from "../atomic-dir";
import { ExportError } from "../export-error";
import { EXPORT_MARKER, ProtectedFoldersSchema } from "../export-target";
import { planMergedWeights } from "../merge-weights";
import { GGML_TYPE_NAMES, type GgmlTypeName } from "./ggml-types";
import { ggufArch } from "./gguf-arch";
import { nameRefusal } from "./gguf-arch-checks";
import { writeGguf } from "./gguf-file";
import { modelMetadata } from "./gguf-model-metadata";
import { planGgufTensors } from "./gguf-tensors";
import { tokenizerMetadata } from "./gguf-tokenizer";
import { renderModelfile } from "./ollama-modelfile";

/** The GGUF tensor types an export can be written in. */
export const GGUF_TYPES = GGML_TYPE_NAMES;

/** A GGUF export type: `f32`, `f16`, `q8_0` or `q4_0`. */
export type GgufType = GgmlTypeName;

const GgufTypeSchema = z.enum(GGML_TYPE_NAMES as [GgmlTypeName, ...GgmlTypeName[]], {
  errorMap: () => ({ message: `expected one of ${GGML_TYPE_NAMES.join(", ")}` }),
});

/** Schema of {@link ExportGgufOptions}. */
export const ExportGgufOptionsSchema = z
  .object({
    /** The trained backbone (LoRA adapters are merged). */
    backbone: z.custom<Backbone>((v) => typeof v === "object" && v !== null && "modelDir" in v, "a Backbone"),
    /** The folder to create (or replace with `overwrite`). */
    dir: z.string().min(1),
    /** Tensor type of the matrices (default `f16`); norms and biases stay f32. */
    type: GgufTypeSchema.default("f16"),
    /** Replace a previous export in `dir` (default false: refuse a non-empty folder). */
    overwrite: z.boolean().default(false),
    /** `general.name` (default: the folder's name). */
    name: z.string().min(1).optional(),
    /** A chat template to embed instead of the tokenizer's. */
    chatTemplate: z.string().min(1).optional(),
    /** `tokenizer.ggml.pre`, for a byte-level pre-tokenizer the export does not recognise. */
    tokenizerPre: z.string().min(1).optional(),
    /** More folders `dir` may not be, contain or lie inside (the base model folder is always protected). */
    protect: ProtectedFoldersSchema,
  })
  .strict();

/** Options of {@link exportGguf}. */
export type ExportGgufOptions = z.input<typeof ExportGgufOptionsSchema>;

/** What {@link exportGguf} wrote. */
export interface ExportedGguf {
  /** The folder (absolute). */
  readonly dir: string;
  /** The GGUF file (absolute), `<dir>/model.gguf`. */
  readonly file: string;
  /** File names written, sorted. */
  readonly files: readonly string[];
  /** The llama.cpp architecture (`llama`, `qwen2`, `qwen3`, `gemma`, `gemma2`, `gemma3`, `phi3`, `smollm3`, `olmo2`). */
  readonly architecture: string;
  /** The tensor type of the matrices. */
  readonly type: GgufType;
  /** Matrices stored as f16 because their rows are not whole 32-value blocks (quantized types only). */
  readonly f16Fallbacks: readonly string[];
  /** Modules whose LoRA adapters were merged. */
  readonly mergedModules: readonly string[];
  /** Size of the GGUF file in bytes. */
  readonly bytes: number;
  /** The chat format the Modelfile's TEMPLATE was written in, or undefined when Ollama uses the embedded one. */
  readonly modelfileTemplate: string | undefined;
}

/** The file name of the GGUF inside an export folder. */
export const GGUF_FILE = "model.gguf";

/**
 * Exports a backbone as `model.gguf` (llama.cpp's GGUF v3) plus an Ollama `Modelfile`, with merged weights
 * (W' = W + scale · B · A), tensors named and laid out as llama.cpp's converter writes them, the tokenizer
 * (byte-level BPE as llama.cpp's `gpt2` model), special token ids and the chat template.
 * @param options - `backbone`, `dir`, `type` (`f32`, `f16`, `q8_0`, `q4_0`), `overwrite`, `name`,
 *   `chatTemplate`, `tokenizerPre`, `protect`
 * @returns the folder, the file, the architecture, the type, f16 fallbacks and the size
 * @throws {@link ExportError} for a family, activation, RoPE variant or tokenizer llama.cpp cannot be given; a
 *   target folder that exists (without `overwrite`, or not a previous export) or collides with a protected folder
 * @throws ConfigError for invalid options (an unknown `type` lists the valid ones)
 * @example
 * ```ts
 * const backbone = await Backbone.load("models/tiny", { adapter: "runs/1/adapter" });
 * const { file } = await exportGguf({ backbone, dir: "/tmp/tiny-gguf", type: "q8_0", overwrite: true });
 * // llama-cli -m /tmp/tiny-gguf/model.gguf   or   cd /tmp/tiny-gguf && ollama create tiny -f Modelfile
 * ```
 */
export async function exportGguf(options: ExportGgufOptions): Promise<ExportedGguf> {
  const opts = parseOptions(ExportGgufOptionsSchema, options, "exportGguf options");
  const target = path.resolve(opts.dir);
  const { backbone } = opts;
  const tokenizer = backbone.modelDir.tokenizer;
  if (!tokenizer) {
    throw new ExportError({
      target,
      problem: "the backbone was loaded without a tokenizer, which a GGUF file must carry",
      fix: "Load the model with its tokenizer.",
    });
  }
  const plan = planMergedWeights(backbone, target);
  const arch = ggufArch(backbone.config, plan.untied, target);
  const name = opts.name ?? path.basename(target);
  const model = modelMetadata({
    arch: arch.name,
    config: backbone.config,
    raw: backbone.modelDir.config,
    name,
    type: opts.type,
    target,
  });
  const tokens = await tokenizerMetadata({
    modelDir: backbone.modelDir.dir,
    tokenizer,
    vocabSize: backbone.config.vocabSize,
    pre: opts.tokenizerPre,
    chatTemplate: opts.chatTemplate,
    target,
  });
  const vocab = tokens.find(([key]) => key === "tokenizer.ggml.tokens")?.[1].value as string[];
  const badName = nameRefusal(name, vocab);
  if (badName) {
    throw new ExportError({
      target,
      problem: badName,
      fix: "Pass exportGguf a name without 'phi3' or 'phi-3' (the CLI names the file after the output folder: choose another folder name).",
    });
  }
  const tensors = planGgufTensors({
    plan,
    arch,
    config: backbone.config,
    type: opts.type,
    ropeFreqs: model.ropeFreqs,
    target,
  });
  const template = opts.chatTemplate ?? tokenizer.chatTemplates.default;
  const stops = tokenizer.eosTokenIds
    .map((id) => tokenizer.idToToken(id))
    .filter((t): t is string => t !== undefined);
  const modelfile = renderModelfile({ gguf: GGUF_FILE, chatTemplate: template, stopTokens: stops });
  let bytes = 0;
  await writeDirAtomic({
    dir: target,
    format: "gguf",
    overwrite: opts.overwrite,
    protect: [{ dir: backbone.modelDir.dir, what: "the base model folder" }, ...opts.protect],
    write: async (tmp) => {
      bytes = await writeGguf(
        path.join(tmp, GGUF_FILE),
        new Map([...model.entries, ...tokens]),
        tensors.tensors,
      );
      await writeFileAtomic(path.join(tmp, "Modelfile"), modelfile.text);
    },
  });
  return {
    dir: target,
    file: path.join(target, GGUF_FILE),
    files: [EXPORT_MARKER, "Modelfile", GGUF_FILE].sort(),
    architecture: arch.name,
    type: opts.type,
    f16Fallbacks: tensors.fallbacks,
    mergedModules: plan.modules,
    bytes,
    modelfileTemplate: modelfile.format,
  };
}
