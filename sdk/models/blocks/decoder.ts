/**
 * The shared decoder builder every architecture uses: embeddings (× √C for Gemma), N layers (attention + gated
 * MLP, each with a residual and the RMSNorms the config places before and/or after it: Llama's pre-norms by
 * default, OLMo 2's post-norms, Gemma 2/3's on both sides), final RMSNorm and the LM head (tied to the embeddings
 * or not; soft-capped for Gemma 2). Sliding-window layers get their own attention bias (and Gemma 3 its local
 * RoPE), built only when the config has such layers; SmolLM3's NoPE layers skip RoPE.
 * Inputs `input_ids`, `attention_mask`, `position_ids` are int64 `[B, T]`. With `kvCache`, the graph also takes
 * `past_key_values.{i}.key|value` `[B, K, P, D]` (P ≥ 0), `attention_mask` covers past and new positions
 * `[B, S]` (S = P + T), and it returns `present.{i}.key|value` `[B, K, S, D]` (the Hugging Face/optimum names).
 * Dimension letters: B batch, T time, P past, S total, C hidden, V vocabulary, K key/value heads, D head size.
 */
import {
  add,
  attentionBias,
  checkpoint,
  Graph,
  gather,
  linear,
  mul,
  rmsNorm,
  ropeTablesFromFrequencies,
  softcapped,
  type Tensor,
} from "../../engine";
import { type DecoderConfig, PRE_NORMS, type SublayerNorms } from "../arch";
import type { LoraInjector } from "../lora";
import {
  type AttentionInputs,
  CACHE_LENGTH,
  cachedAttentionBias,
  type KvPair,
  selfAttention,
  selfAttentionCached,
} from "./attention";
import { type BlockContext, frozenWeight, projection } from "./block-context";
import { gatedMlp } from "./mlp";
import { neftuneNoise } from "./neftune";
import type { WeightSource } from "./weight-source";

/** Options of {@link buildDecoderGraph}. */
export interface BuildDecoderOptions {
  config: DecoderConfig;
  weights: WeightSource;
  /** Adds LoRA branches (trainable parameters) to targeted linear layers. */
  lora?: LoraInjector;
  /**
   * Adds an int64 scalar input `dropout_seed` that drives LoRA dropout (training graphs); feed a negative seed
   * to run without dropout (evaluation).
   */
  training?: boolean;
  /** Full fine-tuning: every backbone weight is a trainable parameter (use without LoRA, on small models). */
  trainBase?: boolean;
  /** NEFTune noise α on the embeddings of training graphs (0 or absent: none); see {@link neftuneNoise}. */
  neftuneAlpha?: number;
  /**
   * KV-cache graph for generation: adds `past_key_values.{i}.key|value` inputs and `present` outputs; the
   * attention mask covers past and new positions. Not for training.
   */
  kvCache?: boolean;
  /**
   * Computes logits for the last position only (`[B, 1, V]`, Hugging Face's `logits_to_keep=1`): generation
   * needs no others, and the LM head over every prompt position is a large share of a prefill's work.
   */
  lastLogitsOnly?: boolean;
  /**
   * Recomputation (H2O LLM Studio's `gradient_checkpointing`): the backward keeps only each layer's input and
   * recomputes the rest of the layer, so activation memory no longer grows with the number of layers, for
   * about one more forward pass per step. Affects training graphs only; ignored with `kvCache`.
   */
  gradientCheckpointing?: boolean;
  /**
   * Builds a second decoder into this graph: over its inputs and its frozen weights (one copy of each), with
   * no LoRA, dropout or noise, so its outputs are the frozen base model's (DPO's reference model, computed in
   * the same session as the policy). No gradient flows through it: it has no trainable parameter. `lora`,
   * `training`, `trainBase`, `neftuneAlpha`, `kvCache` and `gradientCheckpointing` are ignored.
   */
  over?: DecoderGraph;
}

/** A built decoder graph: its inputs, outputs and trainable LoRA parameters. */
export interface DecoderGraph {
  readonly graph: Graph;
  readonly inputs: {
    readonly inputIds: Tensor;
    readonly attentionMask: Tensor;
    readonly positionIds: Tensor;
    /** Present when built with `training: true`. */
    readonly dropoutSeed?: Tensor;
    /** Past keys and values per layer (with `kvCache`). */
    readonly past?: readonly KvPair[];
  };
  /** Keys and values per layer after this step, past included (with `kvCache`). */
  readonly present?: readonly KvPair[];
  /** `[B, T, V]` float32 (`[B, 1, V]` with `lastLogitsOnly`). */
  readonly logits: Tensor;
  /** Final normalised hidden states `[B, T, C]`. */
  readonly hidden: Tensor;
  /**
   * The trainable parameters in creation order: the LoRA tensors (PEFT names), or with `trainBase` every
   * backbone weight (Hugging Face names); empty for a frozen graph.
   */
  readonly trainableParams: readonly Tensor[];
}

function lmHead(ctx: BlockContext, hidden: Tensor, embed: Tensor): Tensor {
  const { vocabSize: V, hiddenSize: C, tieWordEmbeddings } = ctx.config;
  if (!tieWordEmbeddings) return projection(ctx, hidden, "lm_head", { out: V, in: C, bias: false });
  if (ctx.lora?.targets("lm_head")) return ctx.lora.linear(hidden, "lm_head", embed, undefined, ctx.training);
  return linear(hidden, embed);
}

/**
 * Builds the forward graph of a decoder-only transformer.
 * @param options - `config`, `weights`, optional `lora` and `training`
 * @returns the graph with its inputs, logits, hidden states and LoRA parameters
 * @throws WeightMismatchError when a weight is missing or has another shape; ConfigError for an unknown activation
 * @example
 * ```ts
 * const built = buildDecoderGraph({ config, weights: new WeightSource(modelDir.weights, folder) });
 * const session = await compile(built.graph, { logits: built.logits }, { modelPath: `${folder}/model.onnx` });
 * ```
 */
export function buildDecoderGraph(options: BuildDecoderOptions): DecoderGraph {
  if (options.over) return buildReferenceDecoder(options, options.over);
  const { config: c } = options;
  const graph = new Graph();
  const cached = options.kvCache === true;
  const inputIds = graph.input("input_ids", "int64", ["B", "T"]);
  const attentionMask = graph.input("attention_mask", "int64", ["B", cached ? CACHE_LENGTH : "T"]);
  const positionIds = graph.input("position_ids", "int64", ["B", "T"]);
  const dropoutSeed = options.training ? graph.input("dropout_seed", "int64", []) : undefined;
  const past = cached ? pastInputs(graph, c) : undefined;
  const ctx: BlockContext = {
    graph,
    config: c,
    weights: options.weights,
    lora: options.lora,
    training: dropoutSeed ? { seed: dropoutSeed } : undefined,
    trainBase: options.trainBase,
  };
  return decoderBody(ctx, options, { inputIds, attentionMask, positionIds, dropoutSeed, past });
}

/** The frozen base over `over`'s graph, inputs and weights (see {@link BuildDecoderOptions.over}). */
function buildReferenceDecoder(options: BuildDecoderOptions, over: DecoderGraph): DecoderGraph {
  const trained = over.graph.params.find(
    (p) => p.source.kind === "param" && p.source.trainable && !isLoraName(p.source.name),
  );
  if (trained)
    throw new Error(
      `a reference model shares the policy's frozen weights, but ${trained.source.kind === "param" ? trained.source.name : trained} is trained (full fine-tuning): train LoRA adapters instead`,
    );
  if (over.inputs.past) throw new Error("a reference model cannot be built over a KV-cache graph");
  const shared = new Map(
    over.graph.params.flatMap((p) =>
      p.source.kind === "param" && !p.source.trainable ? [[p.source.name, p]] : [],
    ),
  );
  const ctx: BlockContext = { graph: over.graph, config: options.config, weights: options.weights, shared };
  const { inputIds, attentionMask, positionIds } = over.inputs;
  const built = decoderBody(
    ctx,
    { ...options, kvCache: false, gradientCheckpointing: false, neftuneAlpha: 0 },
    {
      inputIds,
      attentionMask,
      positionIds,
    },
  );
  return { ...built, trainableParams: [] };
}

/** PEFT adapter tensor names (`….lora_A.weight`, `….lora_B.weight`). */
function isLoraName(name: string): boolean {
  return /\.lora_[AB]\.weight$/.test(name);
}

/** The embeddings, layers, final norm and head of a decoder, on `ctx.graph` and the given inputs. */
function decoderBody(
  ctx: BlockContext,
  options: BuildDecoderOptions,
  inputs: DecoderGraph["inputs"],
): DecoderGraph {
  const { config: c } = options;
  const { graph } = ctx;
  const { inputIds, attentionMask, positionIds, dropoutSeed, past } = inputs;
  const cached = past !== undefined;
  const embed = frozenWeight(ctx, "model.embed_tokens.weight", [c.vocabSize, c.hiddenSize]);
  let x = gather(embed, inputIds);
  if (dropoutSeed && options.neftuneAlpha) x = neftuneNoise(x, dropoutSeed, options.neftuneAlpha);
  if (c.embedScale !== 1) x = mul(x, c.embedScale);
  const shared = attentionInputs(c, positionIds, (window) =>
    cached
      ? cachedAttentionBias(inputIds, attentionMask, window)
      : attentionBias(inputIds, { attentionMask, window }),
  );
  const norm = (t: Tensor, name: string) =>
    rmsNorm(t, frozenWeight(ctx, name, [c.hiddenSize]), c.rmsNormEps, c.normUnitOffset);
  const norms = c.layerNorms ?? PRE_NORMS;
  const present: KvPair[] = [];
  const recompute = options.gradientCheckpointing === true && !cached;
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    const base = c.slidingWindow?.layers[i] ? shared.sliding : shared.full;
    const layerShared = c.ropeLayers?.[i] === false ? { ...base, rope: undefined } : base;
    const layer = () => {
      x = residual(x, p, norms.attention, norm, (h) => {
        if (!past) return selfAttention(ctx, h, `${p}.self_attn`, layerShared);
        const r = selfAttentionCached(ctx, h, `${p}.self_attn`, layerShared, past[i]);
        present.push(r.present);
        return r.out;
      });
      x = residual(x, p, norms.mlp, norm, (h) => gatedMlp(ctx, h, `${p}.mlp`));
    };
    if (recompute) checkpoint(graph, p, layer);
    else layer();
  }
  const hidden = norm(x, "model.norm.weight");
  const head = options.lastLogitsOnly
    ? gather(hidden, graph.constant(BigInt64Array.of(-1n), "int64", [1]), 1)
    : hidden;
  const raw = lmHead(ctx, head, embed);
  const logits = c.finalLogitSoftcap ? softcapped(raw, c.finalLogitSoftcap) : raw;
  const trainableParams = graph.params.filter((t) => t.source.kind === "param" && t.source.trainable);
  return {
    graph,
    inputs: { inputIds, attentionMask, positionIds, dropoutSeed, ...(past ? { past } : {}) },
    logits,
    hidden,
    trainableParams,
    ...(past ? { present } : {}),
  };
}

/** `x + post(f(pre(x)))` with each RMSNorm present only when `norms` names it (layer prefix `p`). */
function residual(
  x: Tensor,
  p: string,
  norms: SublayerNorms,
  norm: (t: Tensor, name: string) => Tensor,
  f: (h: Tensor) => Tensor,
): Tensor {
  const h = norms.pre ? norm(x, `${p}.${norms.pre}.weight`) : x;
  const out = f(h);
  return add(x, norms.post ? norm(out, `${p}.${norms.post}.weight`) : out);
}

/**
 * RoPE tables and attention bias of the full-attention layers, and of the sliding-window layers when the config
 * has any (their own bias, and Gemma 3's local RoPE); otherwise both are the same objects.
 */
function attentionInputs(
  c: DecoderConfig,
  positionIds: Tensor,
  bias: (window?: number) => Tensor,
): { full: AttentionInputs; sliding: AttentionInputs } {
  const rope = (r: DecoderConfig["rope"]) => ropeTablesFromFrequencies(positionIds, r.invFreq, r);
  const full = { rope: rope(c.rope), bias: bias() };
  if (!c.slidingWindow) return { full, sliding: full };
  const sliding = { rope: c.slidingRope ? rope(c.slidingRope) : full.rope, bias: bias(c.slidingWindow.size) };
  return { full, sliding };
}

/** The `past_key_values.{i}.key|value` inputs `[B, K, P, D]` of a KV-cache graph. */
function pastInputs(graph: Graph, c: DecoderConfig): KvPair[] {
  const shape = ["B", c.numKvHeads, "P", c.headDim];
  return Array.from({ length: c.numLayers }, (_, i) => ({
    key: graph.input(`past_key_values.${i}.key`, "float32", shape),
    value: graph.input(`past_key_values.${i}.value`, "float32", shape),
  }));
}
