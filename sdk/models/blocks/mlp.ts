/**
 * The gated MLP: `down(act(gate(x)) ⊙ up(x))` with the config's activation (SiLU for Llama/Qwen/Mistral,
 * gelu-tanh for Gemma); Phi-3 fuses gate and up into one `gate_up_proj` (gate first). Dimension letters: C hidden, F MLP width.
 */
import { ACTIVATIONS, mul, type Tensor } from "../../engine";
import { ConfigError } from "../../errors";
import { type BlockContext, projection } from "./block-context";
import { fusedProjection } from "./fused-projection";

/**
 * The gated MLP of one layer.
 * @param ctx - block context
 * @param h - normalised input `[..., C]`
 * @param prefix - module prefix, e.g. `model.layers.0.mlp`
 * @returns `[..., C]`
 * @throws ConfigError for an unknown activation; WeightMismatchError for missing or misshapen weights
 * @example
 * ```ts
 * const out = gatedMlp(ctx, h, "model.layers.0.mlp");
 * ```
 */
export function gatedMlp(ctx: BlockContext, h: Tensor, prefix: string): Tensor {
  const { hiddenSize: C, intermediateSize: F, hiddenAct, biases } = ctx.config;
  const act = ACTIVATIONS[hiddenAct];
  if (!act) {
    const message = `activation "${hiddenAct}" is not supported; expected one of ${Object.keys(ACTIVATIONS).join(", ")}`;
    throw new ConfigError([{ path: ["hidden_act"], message }], { source: "config.json" });
  }
  const [gate, up] = ctx.config.fusedGateUp
    ? fusedProjection(ctx, h, `${prefix}.gate_up_proj`, { in: C, parts: [F, F], bias: biases.mlp })
    : ["gate_proj", "up_proj"].map((n) =>
        projection(ctx, h, `${prefix}.${n}`, { out: F, in: C, bias: biases.mlp }),
      );
  return projection(ctx, mul(act(gate), up), `${prefix}.down_proj`, { out: C, in: F, bias: biases.mlp });
}
