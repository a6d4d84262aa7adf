/**
 * `Backbone`: a Hugging Face decoder loaded onto the engine — its normalised config, its forward graph
 * (`input_ids`, `attention_mask`, `position_ids` int64 `[B, T]` → `logits` `[B, T, V]`) with frozen float32
 * weights referenced in place as ONNX external data, and optional LoRA (fresh or from a PEFT adapter).
 * Dimension letters: B batch, T time, V vocabulary.
 */
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { compile, type Session, tensorValue } from "../engine";
import { ConfigError } from "../errors";
import { type DecoderConfig, normalizeConfig } from "./arch";
import { buildDecoderGraph, type DecoderGraph, WeightSource } from "./blocks";
import { parseOptions } from "./errors";
import {
  type GenerationChunk,
  type GenerationOptions,
  type GenerationResult,
  generate as generateText,
  streamGeneration,
} from "./generate";
import { loadModelDir, type ModelDir } from "./hf-dir";
import { resolveModel } from "./hub";
import {
  AdapterError,
  type LoraAdapter,
  LoraInjector,
  LoraOptionsSchema,
  loadLoraAdapter,
  withTensorAliases,
} from "./lora";
import { createModelFolder, releaseModelFolder } from "./model-folders";
import type { BackboneDtype } from "./quant";
import { BACKBONE_DTYPES, checkDtypeOnDevice, quantBitsOf } from "./quant";

/** Schema of {@link BackboneOptions}. */
export const BackboneOptionsSchema = z
  .object({
    /** Add fresh LoRA adapters (A kaiming-uniform, B zeros) with these settings. */
    lora: LoraOptionsSchema.optional(),
    /** Load a PEFT LoRA adapter directory (its settings override `lora`'s r, alpha and targets). */
    adapter: z.string().min(1).optional(),
    /** Execution provider. */
    device: z.enum(["cpu", "cuda"]).default("cpu"),
    /**
     * How the frozen weights are held: `int8`/`int4` quantize the frozen linear weights (cached beside the
     * model); `float16`/`bfloat16` run in float32 on the CPU provider (it has no faster 16-bit kernel).
     */
    dtype: z.enum(BACKBONE_DTYPES).default("float32"),
    /** Intra-op threads (default: one per core). */
    threads: z.number().int().positive().optional(),
    /**
     * Where the per-load model folder `<model_type>-<pid>-XXXXXX` is created (default `<tmp>/tunebook-onnx`);
     * folders there left by dead processes are removed first.
     */
    cacheDir: z.string().min(1).optional(),
    /** Load the tokenizer too (default true). */
    tokenizer: z.boolean().default(true),
  })
  .strict();

/** Options of {@link Backbone.load}. */
export type BackboneOptions = z.input<typeof BackboneOptionsSchema>;

/** Logits as returned by {@link Backbone.logits}: row-major `[B, T, V]`. */
export interface Logits {
  readonly dims: readonly [number, number, number];
  readonly data: Float32Array;
}

function int64Matrix(rows: readonly (readonly number[])[], what: string, width?: number) {
  const T = width ?? rows[0]?.length ?? 0;
  if (rows.length === 0 || T === 0 || rows.some((r) => r.length !== T)) {
    const message = `expected a non-empty rectangular [B][T] array${width ? ` with T = ${width}` : ""}`;
    throw new ConfigError([{ path: [what], message }], { source: "Backbone.logits" });
  }
  return tensorValue("int64", [rows.length, T], BigInt64Array.from(rows.flat().map((v) => BigInt(v))));
}

/** The one inference session a backbone holds: what it computes, for which revision of the weights. */
interface HeldSession {
  readonly kind: string;
  readonly revision: number;
  readonly session: Promise<Session>;
}

/**
 * A decoder model on the engine: config, weights, forward graph, optional LoRA. It holds at most one inference
 * session (so one copy of the frozen weights), compiled when first needed: the forward graph for
 * {@link logits}, or the KV-cache graph for generation.
 */
export class Backbone {
  private held: HeldSession | undefined;
  private disposed = false;
  private revisionCount = 0;

  private constructor(
    /** The loaded model directory (config, weights, tokenizer). */
    readonly modelDir: ModelDir,
    /** The normalised configuration. */
    readonly config: DecoderConfig,
    /** The folder holding the ONNX model files and the linked or converted weights (removed by {@link dispose}). */
    readonly folder: string,
    /** Frozen weights as external data in {@link folder}. */
    readonly weights: WeightSource,
    /** The LoRA injector, when LoRA is on. */
    readonly lora: LoraInjector | undefined,
    /** Device and threads the sessions run with (reuse them when compiling a training graph). */
    readonly sessionOptions: { device: "cpu" | "cuda"; threads?: number },
    /** How the frozen weights are held (`dtype` of {@link BackboneOptions}). */
    readonly dtype: BackboneDtype,
    /** Lines worth logging from the load (e.g. a quantized cache built or rebuilt). */
    readonly notes: string[],
  ) {}

  /**
   * Loads a model directory (or a hub id, through `resolveModel`) and checks its weights and LoRA targets by
   * building its forward graph; the graph is compiled when first used (by {@link logits}), so a backbone that
   * is only trained or only generates never holds a forward session.
   * @param model - a local Hugging Face model directory, or `org/name`
   * @param options - `lora`, `adapter`, `device`, `dtype`, `threads`, `cacheDir`, `tokenizer`
   * @returns the backbone, ready for {@link logits}
   * @throws UnknownModelTypeError for an unsupported `model_type`; WeightMismatchError when a weight is missing
   *   or misshapen; ModelDirError / HubError when the directory cannot be found or read; AdapterError for a bad
   *   adapter; ConfigError for invalid options or config fields, `lora.targetModules` naming a module the
   *   model does not have, or a `dtype` the `device` cannot run
   * @example
   * ```ts
   * const backbone = await Backbone.load("models/tiny-llama", { lora: { r: 8, targetModules: "all-linear" } });
   * const { dims } = await backbone.logits([[1, 2, 3]]);
   * ```
   */
  static async load(model: string, options: BackboneOptions = {}): Promise<Backbone> {
    const opts = parseOptions(BackboneOptionsSchema, options, "Backbone.load options");
    checkDtypeOnDevice(opts.dtype, opts.device);
    const dir = await resolveModel({ model });
    const modelDir = await loadModelDir({ dir, tokenizer: opts.tokenizer });
    const config = normalizeConfig(modelDir.config, modelDir.dir);
    const stored = opts.adapter ? await loadLoraAdapter({ dir: opts.adapter }) : undefined;
    const adapter = stored && withTensorAliases(stored, config.tensorAliases ?? []);
    const lora = Backbone.injector(opts.lora, adapter);
    const root = path.resolve(opts.cacheDir ?? path.join(os.tmpdir(), "tunebook-onnx"));
    const folder = await createModelFolder(root, config.modelType);
    const notes: string[] = [];
    const note = (line: string) => void notes.push(line);
    const weights = new WeightSource(modelDir.weights, folder, {
      tensorAliases: config.tensorAliases,
      quantBits: quantBitsOf(opts.dtype),
      note,
    });
    const sessionOptions = { device: opts.device, threads: opts.threads };
    const backbone = new Backbone(modelDir, config, folder, weights, lora, sessionOptions, opts.dtype, notes);
    try {
      backbone.checkGraph();
    } catch (e) {
      await backbone.dispose();
      throw e;
    }
    return backbone;
  }

  private static injector(
    lora: z.output<typeof LoraOptionsSchema> | undefined,
    adapter: LoraAdapter | undefined,
  ): LoraInjector | undefined {
    if (adapter) {
      const dropout = lora?.dropout ?? adapter.options.dropout;
      return new LoraInjector({ ...adapter.options, dropout, seed: lora?.seed ?? 0 }, adapter);
    }
    return lora ? new LoraInjector(lora) : undefined;
  }

  /**
   * Builds a fresh forward graph over the same weights (and the same LoRA values), e.g. for a training step.
   * Compile it with `modelPath` inside {@link folder}.
   * @param options - `training: true` adds the `dropout_seed` input that drives LoRA dropout; `trainBase: true`
   *   makes every backbone weight trainable (full fine-tuning); `neftuneAlpha` adds NEFTune noise to the
   *   embeddings of a training graph; `gradientCheckpointing` recomputes each layer in the backward instead of
   *   keeping its activations (less memory, about one more forward pass per step)
   * @returns the graph, its inputs, logits, hidden states and trainable parameters
   * @throws WeightMismatchError when a weight is missing or misshapen
   * @example
   * ```ts
   * const built = backbone.buildGraph({ training: true });
   * const loss = crossEntropy(reshape(built.logits, ["B*T", V]), reshape(labels, ["B*T"]));
   * ```
   */
  buildGraph(
    options: {
      training?: boolean;
      trainBase?: boolean;
      neftuneAlpha?: number;
      gradientCheckpointing?: boolean;
    } = {},
  ): DecoderGraph {
    return buildDecoderGraph({ config: this.config, weights: this.weights, lora: this.lora, ...options });
  }

  /**
   * Builds the frozen base model (no LoRA adapters) into a graph from {@link buildGraph}: over the same inputs
   * and the same frozen weight tensors (the ONNX holds one copy of each), as a reference model for preference
   * losses such as DPO's. Nothing in it is trainable, so no gradient flows through it.
   * @param policy - a graph built by {@link buildGraph} (with LoRA, not full fine-tuning)
   * @returns the reference decoder's logits and hidden states, in `policy.graph`
   * @throws Error when `policy` trains the base weights (full fine-tuning) or is a KV-cache graph
   * @example
   * ```ts
   * const policy = backbone.buildGraph({ training: true });
   * const reference = backbone.buildReferenceGraph(policy);
   * ```
   */
  buildReferenceGraph(policy: DecoderGraph): DecoderGraph {
    return buildDecoderGraph({ config: this.config, weights: this.weights, over: policy });
  }

  /**
   * How many times {@link updateParameters} changed the weights; sessions built from an older revision are stale.
   */
  get revision(): number {
    return this.revisionCount;
  }

  /**
   * Sets trained values (LoRA tensors by PEFT name, backbone weights by Hugging Face name) and releases the
   * inference session, so {@link logits}, generation and graphs built afterwards use them (the session is
   * compiled again when next needed).
   * @param values - name → float32 values of the tensor's full size
   * @returns when the values are set
   * @throws AdapterError / WeightMismatchError for an unknown name or a size mismatch
   * @example
   * ```ts
   * await backbone.updateParameters(new Map(Object.entries(trainStep.exportState().params)));
   * ```
   */
  async updateParameters(values: ReadonlyMap<string, Float32Array>): Promise<void> {
    const lora = this.lora?.tensors() ?? new Map<string, Float32Array>();
    for (const [name, v] of values) {
      const target = lora.get(name);
      if (target && target.length === v.length) target.set(v);
      else if (target) {
        throw new AdapterError({
          dir: this.folder,
          problem: `${name}: expected ${target.length} values, got ${v.length}`,
          fix: "Pass values trained on this backbone with the same LoRA settings.",
        });
      } else this.weights.override(name, v);
    }
    this.revisionCount += 1;
    await this.releaseSessions();
  }

  /** Builds the forward graph once to check the weights' shapes and the LoRA targets (nothing is compiled). */
  private checkGraph(): void {
    try {
      this.buildGraph();
      this.lora?.checkTargets();
    } finally {
      this.weights.close();
    }
  }

  private async compileForward(): Promise<Session> {
    const built = this.buildGraph();
    try {
      const modelPath = path.join(this.folder, "forward.onnx");
      return await compile(built.graph, { logits: built.logits }, { modelPath, ...this.sessionOptions });
    } finally {
      this.weights.close();
    }
  }

  /**
   * The backbone's inference session of one kind for the current weights, compiled by `build` on first use. The
   * backbone holds one inference session at a time: asking for another kind, or for the same kind after
   * {@link updateParameters}, releases the one it holds first (do not run two kinds concurrently).
   * @param kind - what the session computes, e.g. `forward` or `generate`
   * @param build - compiles it (called only when the held session is of another kind or revision)
   * @returns the session
   * @throws ConfigError when disposed; the error of `build`
   * @example
   * ```ts
   * const session = await backbone.inferenceSession("generate", () => compileKvCacheGraph(backbone));
   * ```
   */
  async inferenceSession(kind: string, build: () => Promise<Session>): Promise<Session> {
    if (this.disposed) throw new ConfigError([{ path: [], message: "this backbone was disposed" }]);
    const held = this.held;
    if (held && held.kind === kind && held.revision === this.revisionCount) return held.session;
    await this.releaseSessions();
    const session = build();
    const entry = { kind, revision: this.revisionCount, session };
    this.held = entry;
    session.catch(() => {
      if (this.held === entry) this.held = undefined;
    });
    return session;
  }

  /**
   * Releases the inference session the backbone holds, if any (it is compiled again when next needed): call it
   * before work that needs the memory, as the trainer does before it compiles its training step.
   * @returns when released
   * @example
   * ```ts
   * await backbone.releaseSessions();
   * ```
   */
  async releaseSessions(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (held) await (await held.session.catch(() => undefined))?.release();
  }

  /**
   * Runs the forward graph.
   * @param ids - token ids `[B][T]`
   * @param mask - 1 for tokens, 0 for padding `[B][T]` (default all ones)
   * @param positions - positions `[B][T]` (default `0..T−1` on every row, as Hugging Face's forward)
   * @returns logits `[B, T, V]` (values at padding positions are unspecified)
   * @throws ConfigError for ragged or empty arrays; RuntimeError when disposed
   * @example
   * ```ts
   * const { dims, data } = await backbone.logits([[5, 6, 7], [0, 8, 9]], [[1, 1, 1], [0, 1, 1]]);
   * ```
   */
  async logits(
    ids: readonly (readonly number[])[],
    mask?: readonly (readonly number[])[],
    positions?: readonly (readonly number[])[],
  ): Promise<Logits> {
    const session = await this.inferenceSession("forward", () => this.compileForward());
    const feeds = {
      input_ids: int64Matrix(ids, "ids"),
      attention_mask: mask ? int64Matrix(mask, "mask", ids[0].length) : undefined,
      position_ids: positions ? int64Matrix(positions, "positions", ids[0].length) : undefined,
    };
    const [B, T] = feeds.input_ids.dims as number[];
    const ones = tensorValue("int64", [B, T], new BigInt64Array(B * T).fill(1n));
    const arange = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T));
    const out = await session.run({
      input_ids: feeds.input_ids,
      attention_mask: feeds.attention_mask ?? ones,
      position_ids: feeds.position_ids ?? tensorValue("int64", [B, T], arange),
    });
    const logits = out.logits;
    return { dims: [B, T, this.config.vocabSize], data: logits.data as Float32Array };
  }

  /**
   * Releases the inference session and removes {@link folder}. Safe to call twice.
   * @returns when done
   * @example
   * ```ts
   * await backbone.dispose();
   * ```
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.releaseSessions();
    await releaseModelFolder(this.folder);
  }

  // --- generation (sdk/models/generate) ---

  /**
   * Generates text with the KV-cache graph (see `generate` in sdk/models/generate).
   * @param options - one of `prompt`, `messages`, `inputIds`; `maxNewTokens`, `doSample`, `temperature`,
   *   `topK`, `topP`, `repetitionPenalty`, `minNewTokens`, `stopStrings`, `stopTokenIds`, `seed`, `signal`
   * @returns one result per prompt
   * @throws ConfigError for invalid options; PromptTooLongError for a prompt the context cannot hold
   * @example
   * ```ts
   * const [r] = await backbone.generate({ prompt: "The capital of France is", maxNewTokens: 8 });
   * ```
   */
  generate(options: GenerationOptions): Promise<GenerationResult[]> {
    return generateText(this, options);
  }

  /**
   * Streams generated tokens as `{ row, token, text }` chunks (see `streamGeneration`).
   * @param options - as {@link generate}
   * @returns an async iterable of chunks
   * @throws ConfigError for invalid options; PromptTooLongError for a prompt the context cannot hold
   * @example
   * ```ts
   * for await (const c of backbone.stream({ messages: [{ role: "user", content: "Hi" }] })) process.stdout.write(c.text);
   * ```
   */
  stream(options: GenerationOptions): AsyncIterable<GenerationChunk> {
    return streamGeneration(this, options);
  }
}
