/**
 * What every decoder block reads while building: the normalised config, the frozen weights, the optional LoRA
 * injector, and (in training graphs) the dropout seed. Dimension letters: I inputs, O outputs.
 */
import {
  blocksPerRow,
  type Graph,
  linear,
  matmulNBits,
  overRows,
  QUANT_BLOCK,
  type Tensor,
} from "../../engine";
import type { DecoderConfig } from "../arch";
import type { LoraInjector } from "../lora";
import type { QuantizedParamData, WeightSource } from "./weight-source";

/** The state shared by the blocks of one graph. */
export interface BlockContext {
  readonly graph: Graph;
  readonly config: DecoderConfig;
  readonly weights: WeightSource;
  /** Adds LoRA branches to targeted linear layers. */
  readonly lora?: LoraInjector;
  /** Present in training graphs: the int64 scalar seed input that drives dropout. */
  readonly training?: { seed: Tensor };
  /** Full fine-tuning: every backbone weight becomes a trainable float32 parameter held inline. */
  readonly trainBase?: boolean;
  /**
   * Frozen parameters already in `graph`, by name (a second decoder over the same weights, such as DPO's
   * reference model): a weight found here is used as is instead of being declared again.
   */
  readonly shared?: ReadonlyMap<string, Tensor>;
}

/** `graph.param(...)`, or the parameter of that name that `ctx.shared` already holds. */
function param(ctx: BlockContext, ...args: Parameters<Graph["param"]>): Tensor {
  return ctx.shared?.get(args[0]) ?? ctx.graph.param(...args);
}

/**
 * A backbone float32 weight (frozen, or trainable when `ctx.trainBase`), checked against its expected shape.
 * @param ctx - block context
 * @param name - Hugging Face tensor name
 * @param shape - expected shape
 * @returns the parameter tensor
 * @throws WeightMismatchError when the tensor is missing or has another shape
 * @example
 * ```ts
 * const w = frozenWeight(ctx, "model.norm.weight", [ctx.config.hiddenSize]);
 * ```
 */
export function frozenWeight(ctx: BlockContext, name: string, shape: readonly number[]): Tensor {
  if (ctx.trainBase) {
    const data = ctx.weights.values(name, shape);
    return ctx.graph.param(name, shape, { kind: "inline", data }, { trainable: true });
  }
  return param(ctx, name, shape, ctx.weights.data(name, shape));
}

/**
 * A linear layer `[I] → [O]` of module `module` (`<module>.weight`, optional `<module>.bias`), with LoRA when
 * the injector targets it.
 * @param ctx - block context
 * @param x - input `[..., I]`
 * @param module - module path, e.g. `model.layers.0.self_attn.q_proj`
 * @param sizes - `out`, `in`, and whether the layer has a `bias`
 * @returns `[..., O]`
 * @throws WeightMismatchError when a weight is missing or has another shape
 * @example
 * ```ts
 * const q = projection(ctx, h, "model.layers.0.self_attn.q_proj", { out: 64, in: 64, bias: false });
 * ```
 */
export function projection(
  ctx: BlockContext,
  x: Tensor,
  module: string,
  sizes: { out: number; in: number; bias: boolean },
): Tensor {
  const name = `${module}.weight`;
  const bias = sizes.bias ? frozenWeight(ctx, `${module}.bias`, [sizes.out]) : undefined;
  const q = ctx.trainBase ? undefined : ctx.weights.quantized(name, [sizes.out, sizes.in]);
  if (q) {
    const level = ctx.weights.options.quantAccuracyLevel ?? 4;
    const y = overRows(
      x,
      sizes.out,
      (rows) => matmulNBits(rows, quantizedParams(ctx, name, q, sizes.out, sizes.in), level),
      bias,
    );
    return ctx.lora ? ctx.lora.adapt(x, module, y, sizes, ctx.training) : y;
  }
  const weight = frozenWeight(ctx, name, [sizes.out, sizes.in]);
  if (ctx.lora) return ctx.lora.linear(x, module, weight, bias, ctx.training);
  return linear(x, weight, bias);
}

/** The four frozen parameters of a quantized weight `[O, I]` (see `packWeight` in the engine). */
function quantizedParams(ctx: BlockContext, name: string, q: QuantizedParamData, o: number, i: number) {
  const nb = blocksPerRow(i);
  return {
    bits: q.bits,
    packed: param(ctx, `${name}.q${q.bits}`, [o, nb, (QUANT_BLOCK * q.bits) / 8], q.packed, {
      dtype: "uint8",
    }),
    scales: param(ctx, `${name}.q${q.bits}_scales`, [o * nb], q.scales),
    rowValues: param(ctx, `${name}.rows_int8`, [o, i], q.rowValues, { dtype: "int8" }),
    rowScales: param(ctx, `${name}.rows_scales`, [o], q.rowScales),
  };
}
