// Typed access, from TypeScript tests, to the independent PyTorch reference in this folder.
// Dimension letters: B batch, T sequence, V vocab, H hidden.
import { rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../../sdk/errors";
import { DEFAULT_PYTHON, runReferenceScript } from "./run-script";

const ARCHS = [
  "llama",
  "mistral",
  "qwen2",
  "qwen3",
  "gemma",
  "gemma2",
  "gemma3_text",
  "gemma3",
  "phi3",
  "smollm3",
  "olmo2",
] as const;
const positive = z.number().int().positive();

/** Options of {@link makeTinyCheckpoint}; every field maps to a `make_tiny_checkpoint.py` flag. */
export const TinyCheckpointOptionsSchema = z
  .object({
    /** Model family (`model_type`). */
    arch: z.enum(ARCHS).default("llama"),
    /** Seed of the random weights; same options give the same files. */
    seed: z.number().int().nonnegative().default(0),
    layers: positive.default(2),
    hidden: positive.default(64),
    /** MLP width; default 2 × hidden. */
    intermediate: positive.optional(),
    heads: positive.default(4),
    /** Default 2 (gemma: 1). */
    kvHeads: positive.optional(),
    /** Default hidden/heads (qwen3 and gemma: twice that, written to config.json). */
    headDim: positive.optional(),
    /** Model vocab ≥ the tokenizer's 512 tokens; default 512. */
    vocab: positive.optional(),
    /** Tie lm_head to embed_tokens (the gemma families are always tied). */
    tie: z.boolean().default(false),
    /**
     * Sliding window size: mistral on every layer, qwen2/qwen3 `use_sliding_window` on layers ≥
     * `maxWindowLayers`, gemma2/gemma3 on their pattern (default: each family's usual config).
     */
    slidingWindow: positive.optional(),
    /** qwen2/qwen3 with `slidingWindow`: the first sliding layer (default layers / 2). */
    maxWindowLayers: z.number().int().nonnegative().optional(),
    shards: positive.default(1),
    /** `partial_rotary_factor` to write (Phi-4-mini: 0.75). */
    partialRotary: z.number().gt(0).lte(1).optional(),
    /** phi3: `longrope` with this `original_max_position_embeddings` (max 4 × that), as Phi-3.5-mini. */
    longrope: positive.optional(),
    /** smollm3: per layer 1 (RoPE) or 0 (NoPE); default alternating 1, 0. */
    noRopeLayers: z.array(z.union([z.literal(0), z.literal(1)])).optional(),
    dtype: z.enum(["float32", "float16", "bfloat16"]).default("float32"),
    /** Also write a random PEFT LoRA adapter into `<dir>/adapter`. */
    lora: z
      .object({
        r: positive.default(4),
        alpha: z.number().positive().default(8),
        targets: z.array(z.string().min(1)).min(1).default(["q_proj", "v_proj"]),
        rslora: z.boolean().default(false),
        /** DoRA: `use_dora: true` and a random `lora_magnitude_vector` per module. */
        dora: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** Python interpreter with numpy (default /usr/bin/python3 or TUNEBOOK_PYTHON). */
    python: z.string().default(DEFAULT_PYTHON),
  })
  .strict();

/** Input of {@link makeTinyCheckpoint}. */
export type TinyCheckpointOptions = z.input<typeof TinyCheckpointOptionsSchema>;

const idRows = z.array(z.array(z.number().int()));

/** Options of {@link torchReference}; every field maps to an `hf_reference.py` flag or batch field. */
export const TorchReferenceOptionsSchema = z
  .object({
    /** Hugging Face model directory. */
    model: z.string().min(1),
    /** Token ids [B][T]. */
    inputIds: idRows.min(1),
    /** 1 = token, 0 = padding, [B][T]; default all ones. */
    attentionMask: idRows.optional(),
    /** Labels [B][T] (-100 = ignored), unshifted as in HF; enables `loss`. */
    labels: idRows.optional(),
    /** Explicit positions [B][T]; default per `positions`. */
    positionIds: idRows.optional(),
    /** `arange`: 0..T-1 (HF forward); `mask`: cumsum(mask) - 1 (HF generate); `auto`: arange, mask to generate. */
    positions: z.enum(["auto", "arange", "mask"]).default("auto"),
    /** PEFT LoRA adapter directory. */
    adapter: z.string().optional(),
    /** Compute in float64 instead of float32. */
    float64: z.boolean().default(false),
    /** Compute the loss with labels = input ids (-100 at padding) when `labels` is absent. */
    lossOnInputs: z.boolean().default(false),
    /** Gradients of the loss w.r.t. every LoRA tensor, or the `gradParams` tensors. */
    grads: z.boolean().default(false),
    /** HF or PEFT tensor names to differentiate (required for `grads` without an adapter). */
    gradParams: z.array(z.string().min(1)).optional(),
    /** Greedy-generate this many new tokens (needs left padding). */
    generate: z.number().int().nonnegative().default(0),
    /** Stop at eos as HF generate does (eos/pad ids from generation_config.json; finished rows get pad). */
    stopAtEos: z.boolean().default(false),
    /** Also return the final normed hidden states. */
    hidden: z.boolean().default(false),
    /** Also return HF's `output_hidden_states`: embeddings, each layer's output but the last, final normed. */
    hiddenStates: z.boolean().default(false),
    /** Central differences of the loss w.r.t. single tensor elements (flat index). */
    finiteDifferences: z
      .array(z.object({ name: z.string(), index: z.number().int().nonnegative() }))
      .optional(),
    /** Step of the central differences. */
    fdEps: z.number().positive().default(1e-6),
    /** Python interpreter with torch and numpy. */
    python: z.string().default(DEFAULT_PYTHON),
  })
  .strict();

/** Input of {@link torchReference}. */
export type TorchReferenceOptions = z.input<typeof TorchReferenceOptionsSchema>;

/** A tensor as the reference returns it: shape and row-major data. */
export interface ReferenceTensor {
  shape: number[];
  data: number[];
}

/** What {@link torchReference} computes. */
export interface ReferenceOutput {
  /** [B][T][V]; values at padding positions are unspecified. */
  logits: number[][][];
  /** Mean cross-entropy over shifted labels != -100. */
  loss?: number;
  /** Gradients keyed by PEFT (`base_model.model.…lora_A.weight`) or HF tensor name. */
  grads?: Record<string, ReferenceTensor>;
  /** New tokens [B][N] (fewer than asked when `stopAtEos` ended early). */
  generated?: number[][];
  /** Final normed hidden states [B][T][H]. */
  hidden?: number[][][];
  /** HF `output_hidden_states` [L + 1][B][T][H] (to find the first layer where an implementation diverges). */
  hidden_states?: number[][][][];
  /** Central differences keyed `NAME:INDEX`. */
  fd?: Record<string, number>;
}

function parse<S extends z.ZodTypeAny>(schema: S, opts: unknown, source: string): z.output<S> {
  const parsed = schema.safeParse(opts);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
    throw new ConfigError(issues, { source });
  }
  return parsed.data;
}

const checkpoints = new Map<string, Promise<string>>();
const madeDirs: string[] = [];
process.once("exit", () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

function checkpointArgs(o: z.output<typeof TinyCheckpointOptionsSchema>, dir: string): string[] {
  const flags: [string, string | number | undefined][] = [
    ["--arch", o.arch],
    ["--seed", o.seed],
    ["--layers", o.layers],
    ["--hidden", o.hidden],
    ["--heads", o.heads],
    ["--shards", o.shards],
    ["--dtype", o.dtype],
    ["--out", dir],
    ["--intermediate", o.intermediate],
    ["--kv-heads", o.kvHeads],
    ["--head-dim", o.headDim],
    ["--vocab", o.vocab],
    ["--partial-rotary", o.partialRotary],
    ["--longrope", o.longrope],
    ["--no-rope-layers", o.noRopeLayers?.join(",")],
    ["--sliding-window", o.slidingWindow],
    ["--max-window-layers", o.maxWindowLayers],
    ["--lora-out", o.lora && path.join(dir, "adapter")],
    ["--lora-r", o.lora?.r],
    ["--lora-alpha", o.lora?.alpha],
    ["--lora-targets", o.lora?.targets.join(",")],
  ];
  const args = flags.flatMap(([flag, value]) => (value === undefined ? [] : [flag, `${value}`]));
  if (o.tie) args.push("--tie");
  if (o.lora?.rslora) args.push("--lora-rslora");
  if (o.lora?.dora) args.push("--lora-dora");
  return args;
}

/**
 * Writes a tiny random Hugging Face checkpoint (config, safetensors, tokenizer, chat template) to a fresh temp dir.
 * Calls with equal options in one process share one directory (removed when the process exits); with `lora`,
 * the adapter is in `<dir>/adapter`.
 * @param opts - see {@link TinyCheckpointOptionsSchema}
 * @returns the checkpoint directory
 * @throws ConfigError for invalid options; ReferenceUnavailableError when Python/numpy is missing;
 *   ReferenceScriptError when the script rejects the options
 * @example
 * ```ts
 * const dir = await makeTinyCheckpoint({ arch: "qwen3", shards: 2, dtype: "bfloat16", lora: { r: 4 } });
 * ```
 */
export async function makeTinyCheckpoint(opts: TinyCheckpointOptions = {}): Promise<string> {
  const o = parse(TinyCheckpointOptionsSchema, opts, "makeTinyCheckpoint options");
  const key = JSON.stringify(o);
  let pending = checkpoints.get(key);
  if (!pending) {
    pending = (async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), `tunebook-tiny-${o.arch}-`));
      madeDirs.push(dir);
      await runReferenceScript(o.python, "make_tiny_checkpoint.py", checkpointArgs(o, dir));
      return dir;
    })();
    pending.catch(() => checkpoints.delete(key));
    checkpoints.set(key, pending);
  }
  return pending;
}

function referenceArgs(
  o: z.output<typeof TorchReferenceOptionsSchema>,
  input: string,
  out: string,
): string[] {
  const args = ["--model", o.model, "--input", input, "--out", out, "--positions", o.positions];
  if (o.adapter) args.push("--adapter", o.adapter);
  if (o.float64) args.push("--float64");
  if (o.lossOnInputs) args.push("--labels");
  if (o.grads) args.push("--grads");
  if (o.gradParams?.length) args.push("--grad-params", o.gradParams.join(","));
  if (o.generate > 0) args.push("--generate", `${o.generate}`);
  if (o.stopAtEos) args.push("--stop-at-eos");
  if (o.hidden) args.push("--hidden");
  if (o.hiddenStates) args.push("--hidden-states");
  if (o.finiteDifferences?.length) {
    args.push("--fd", o.finiteDifferences.map((f) => `${f.name}:${f.index}`).join(","));
    args.push("--fd-eps", `${o.fdEps}`);
  }
  return args;
}

/**
 * Runs the PyTorch reference (`hf_reference.py`) on a batch: logits, and on request loss, gradients, generation.
 * @param opts - see {@link TorchReferenceOptionsSchema}
 * @returns the reference's outputs
 * @throws ConfigError for invalid options; ReferenceUnavailableError when python3-torch is missing;
 *   ReferenceScriptError when the script fails (bad directory, unknown tensor name, right padding to generate…)
 * @example
 * ```ts
 * const dir = await makeTinyCheckpoint({ arch: "llama" });
 * const ref = await torchReference({ model: dir, inputIds: [[5, 6, 7]], lossOnInputs: true });
 * console.log(ref.logits[0][2].length, ref.loss);
 * ```
 */
export async function torchReference(opts: TorchReferenceOptions): Promise<ReferenceOutput> {
  const [out] = await torchReferences({ runs: [opts] });
  return out;
}

/**
 * Runs several reference computations in one Python process (one `import torch`, about 1–3 s saved per run).
 * @param opts - `runs`: a list of {@link TorchReferenceOptions}, all with the same `python`
 * @returns one output per run, in order
 * @throws ConfigError for invalid options or mixed interpreters; ReferenceUnavailableError when python3-torch
 *   is missing; ReferenceScriptError when any run fails
 * @example
 * ```ts
 * const [a, b] = await torchReferences({ runs: [{ model: dirA, inputIds: ids }, { model: dirB, inputIds: ids }] });
 * ```
 */
export async function torchReferences(opts: { runs: TorchReferenceOptions[] }): Promise<ReferenceOutput[]> {
  const runs = opts.runs.map((r, i) => parse(TorchReferenceOptionsSchema, r, `torchReferences runs[${i}]`));
  const pythons = new Set(runs.map((r) => r.python));
  if (runs.length === 0 || pythons.size > 1) {
    const message = `expected at least one run, all with one python; got ${runs.length} runs, ${[...pythons]}`;
    throw new ConfigError([{ path: ["runs"], message }], { source: "torchReferences options" });
  }
  const work = await mkdtemp(path.join(os.tmpdir(), "tunebook-ref-"));
  try {
    const jobs = await Promise.all(
      runs.map(async (o, i) => {
        const input = path.join(work, `batch-${i}.json`);
        const batch = {
          input_ids: o.inputIds,
          attention_mask: o.attentionMask,
          labels: o.labels,
          position_ids: o.positionIds,
        };
        await writeFile(input, JSON.stringify(batch));
        return referenceArgs(o, input, path.join(work, `out-${i}.json`));
      }),
    );
    const jobsFile = path.join(work, "jobs.json");
    await writeFile(jobsFile, JSON.stringify(jobs));
    await runReferenceScript(runs[0].python, "hf_reference.py", [
      "--jobs",
      jobsFile,
      "--out",
      path.join(work, "done.json"),
    ]);
    return Promise.all(
      runs.map(
        async (_, i) =>
          JSON.parse(await readFile(path.join(work, `out-${i}.json`), "utf8")) as ReferenceOutput,
      ),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
