/**
 * Tiny models used by the engine's end-to-end tests: a two-layer MLP classifier and a one-block decoder
 * (RMSNorm, grouped-query attention with RoPE, SwiGLU MLP, LM head). Dimension letters: B batch, T time,
 * C channels, V vocabulary, H query heads, K key/value heads, D head size, F MLP width.
 */
import {
  add,
  applyRope,
  attention,
  attentionBias,
  crossEntropy,
  Graph,
  gather,
  linear,
  mul,
  reshape,
  rmsNorm,
  ropeTables,
  seededRandom,
  silu,
  type Tensor,
  transpose,
} from "../../sdk/engine";

/** Initial parameter values and shapes, by name. */
export type ParamSpec = Record<string, { shape: number[]; values: number[] }>;

function randomParams(shapes: Record<string, number[]>, seed: number, scale = 0.3): ParamSpec {
  const rand = seededRandom(seed);
  const out: ParamSpec = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.startsWith("ln");
    out[name] = {
      shape,
      values: Array.from({ length: n }, () => (isNorm ? 1 + 0.1 * (rand() - 0.5) : scale * (2 * rand() - 1))),
    };
  }
  return out;
}

function declare(g: Graph, spec: ParamSpec): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(spec).map(([name, s]) => [
      name,
      g.param(name, s.shape, { kind: "inline", data: Float32Array.from(s.values) }, { trainable: true }),
    ]),
  );
}

/** MLP sizes. */
export const MLP = { inputs: 4, hidden: 8, classes: 3 };

/** The MLP's initial parameters. */
export function mlpParams(seed = 1): ParamSpec {
  return randomParams(
    { w1: [MLP.hidden, MLP.inputs], b1: [MLP.hidden], w2: [MLP.classes, MLP.hidden], b2: [MLP.classes] },
    seed,
    0.5,
  );
}

/** `loss = CE(W2 · silu(W1 x + b1) + b2, y)` over a batch of N rows. */
export function buildMlp(spec: ParamSpec): { graph: Graph; loss: Tensor; params: Tensor[]; logits: Tensor } {
  const g = new Graph();
  const x = g.input("x", "float32", ["N", MLP.inputs]);
  const y = g.input("y", "int64", ["N"]);
  const p = declare(g, spec);
  const logits = linear(silu(linear(x, p.w1, p.b1)), p.w2, p.b2);
  return { graph: g, loss: crossEntropy(logits, y), params: Object.values(p), logits };
}

/** Decoder sizes. */
export const DEC = {
  vocab: 11,
  channels: 8,
  heads: 2,
  kvHeads: 1,
  headDim: 4,
  mlp: 12,
  theta: 10000,
  eps: 1e-6,
};

/** The decoder's initial parameters. */
export function decoderParams(seed = 2): ParamSpec {
  const { vocab: V, channels: C, heads: H, kvHeads: K, headDim: D, mlp: F } = DEC;
  return randomParams(
    {
      emb: [V, C],
      ln1: [C],
      wq: [H * D, C],
      wk: [K * D, C],
      wv: [K * D, C],
      wo: [C, H * D],
      ln2: [C],
      wg: [F, C],
      wu: [F, C],
      wd: [C, F],
      lnf: [C],
      head: [V, C],
    },
    seed,
  );
}

/** One decoder block with an LM head; `labels` are already shifted (−100 = ignored). */
export function buildDecoder(spec: ParamSpec): { graph: Graph; loss: Tensor; params: Tensor[] } {
  const { vocab: V, channels: C, heads: H, kvHeads: K, headDim: D, theta, eps } = DEC;
  const g = new Graph();
  const ids = g.input("input_ids", "int64", ["B", "T"]);
  const labels = g.input("labels", "int64", ["B", "T"]);
  const mask = g.input("attention_mask", "int64", ["B", "T"]);
  const positions = g.input("position_ids", "int64", ["B", "T"]);
  const p = declare(g, spec);
  const heads = (t: Tensor, n: number) => transpose(reshape(t, ["B", "T", n, D]), [0, 2, 1, 3]);
  let x = gather(p.emb, ids);
  const h = rmsNorm(x, p.ln1, eps);
  const rope = ropeTables(positions, D, theta);
  const q = applyRope(heads(linear(h, p.wq), H), rope);
  const k = applyRope(heads(linear(h, p.wk), K), rope);
  const v = heads(linear(h, p.wv), K);
  const att = attention(q, k, v, attentionBias(ids, { attentionMask: mask }), 1 / Math.sqrt(D));
  x = add(x, linear(reshape(transpose(att, [0, 2, 1, 3]), ["B", "T", H * D]), p.wo));
  const h2 = rmsNorm(x, p.ln2, eps);
  x = add(x, linear(mul(silu(linear(h2, p.wg)), linear(h2, p.wu)), p.wd));
  const logits = linear(rmsNorm(x, p.lnf, eps), p.head);
  const loss = crossEntropy(reshape(logits, ["B*T", V]), reshape(labels, ["B*T"]));
  void C;
  return { graph: g, loss, params: Object.values(p) };
}
