/**
 * A randomly initialised Llama in Hugging Face format: `config.json` fields and weights with HF names and
 * `[out, in]` layout. Initialisation follows `LlamaPreTrainedModel._init_weights` (normal, std 0.02; norms 1)
 * with GPT-2's extra 1/√(2·layers) on the projections that write into the residual stream (`o_proj`,
 * `down_proj`), which keeps a from-scratch run stable at a high learning rate.
 */
import { z } from "zod";
import { ConfigError } from "../../sdk/errors";
import type { WritableTensor } from "../../sdk/models";
import { seededRandom } from "../../sdk/util";

/** Shape of the model. */
export const LlamaShapeSchema = z
  .object({
    vocabSize: z.number().int().min(1),
    hiddenSize: z.number().int().min(8),
    intermediateSize: z.number().int().min(8),
    numLayers: z.number().int().min(1),
    numHeads: z.number().int().min(1),
    numKvHeads: z.number().int().min(1),
    /** Context length written as `max_position_embeddings`. */
    contextLength: z.number().int().min(8),
    ropeTheta: z.number().positive().default(10000),
    rmsNormEps: z.number().positive().default(1e-5),
  })
  .strict()
  .refine((s) => s.hiddenSize % s.numHeads === 0 && s.numHeads % s.numKvHeads === 0, {
    message: "hiddenSize must be a multiple of numHeads, and numHeads a multiple of numKvHeads",
  });

/** Input of the shape options. */
export type LlamaShape = z.input<typeof LlamaShapeSchema>;

function parseShape(shape: LlamaShape): z.output<typeof LlamaShapeSchema> {
  const parsed = LlamaShapeSchema.safeParse(shape);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
    throw new ConfigError(issues, { source: "Llama shape" });
  }
  return parsed.data;
}

/**
 * The `config.json` of a tied-embedding Llama with this shape.
 * @param options - the shape and the special token ids (`bos` = `<|endoftext|>`, `eos` = `<|im_end|>`)
 * @returns the config object, keys sorted as `save_pretrained` writes them
 * @throws ConfigError for an invalid shape
 * @example
 * ```ts
 * const config = llamaConfig({ shape, bosTokenId: 2045, eosTokenId: 2047 });
 * ```
 */
export function llamaConfig(options: {
  shape: LlamaShape;
  bosTokenId: number;
  eosTokenId: number;
}): Record<string, unknown> {
  const s = parseShape(options.shape);
  const config: Record<string, unknown> = {
    architectures: ["LlamaForCausalLM"],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: options.bosTokenId,
    eos_token_id: options.eosTokenId,
    head_dim: s.hiddenSize / s.numHeads,
    hidden_act: "silu",
    hidden_size: s.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: s.intermediateSize,
    max_position_embeddings: s.contextLength,
    mlp_bias: false,
    model_type: "llama",
    num_attention_heads: s.numHeads,
    num_hidden_layers: s.numLayers,
    num_key_value_heads: s.numKvHeads,
    pretraining_tp: 1,
    rms_norm_eps: s.rmsNormEps,
    rope_scaling: null,
    rope_theta: s.ropeTheta,
    tie_word_embeddings: true,
    torch_dtype: "bfloat16",
    transformers_version: "4.51.0",
    use_cache: true,
    vocab_size: s.vocabSize,
  };
  return config;
}

/** Seeded standard normal samples (Box–Muller over mulberry32). */
function normals(rand: () => number, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const theta = 2 * Math.PI * rand();
    out[i] = std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = std * r * Math.sin(theta);
  }
  return out;
}

/**
 * Random float32 weights for a tied-embedding Llama, by Hugging Face name.
 * @param options - the shape, the seed, and the base standard deviation (default 0.02)
 * @returns tensors ready for `writeSafetensors`
 * @throws ConfigError for an invalid shape
 * @example
 * ```ts
 * await writeSafetensors({ path: "model.safetensors", tensors: initLlamaWeights({ shape, seed: 0 }) });
 * ```
 */
export function initLlamaWeights(options: {
  shape: LlamaShape;
  seed: number;
  std?: number;
}): Record<string, WritableTensor> {
  const s = parseShape(options.shape);
  const rand = seededRandom(options.seed);
  const std = options.std ?? 0.02;
  const residualStd = std / Math.sqrt(2 * s.numLayers);
  const [C, hd] = [s.hiddenSize, s.hiddenSize / s.numHeads];
  const out: Record<string, WritableTensor> = {};
  const matrix = (name: string, rows: number, cols: number, sd = std) => {
    out[name] = { shape: [rows, cols], data: normals(rand, rows * cols, sd) };
  };
  const ones = (name: string) => {
    out[name] = { shape: [C], data: new Float32Array(C).fill(1) };
  };
  matrix("model.embed_tokens.weight", s.vocabSize, C);
  for (let i = 0; i < s.numLayers; i++) {
    const p = `model.layers.${i}`;
    ones(`${p}.input_layernorm.weight`);
    matrix(`${p}.self_attn.q_proj.weight`, s.numHeads * hd, C);
    matrix(`${p}.self_attn.k_proj.weight`, s.numKvHeads * hd, C);
    matrix(`${p}.self_attn.v_proj.weight`, s.numKvHeads * hd, C);
    matrix(`${p}.self_attn.o_proj.weight`, C, s.numHeads * hd, residualStd);
    ones(`${p}.post_attention_layernorm.weight`);
    matrix(`${p}.mlp.gate_proj.weight`, s.intermediateSize, C);
    matrix(`${p}.mlp.up_proj.weight`, s.intermediateSize, C);
    matrix(`${p}.mlp.down_proj.weight`, C, s.intermediateSize, residualStd);
  }
  ones("model.norm.weight");
  return out;
}
