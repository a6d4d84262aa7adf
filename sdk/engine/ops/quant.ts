/**
 * Products with frozen quantized weights, on onnxruntime's inference-build contrib kernels (domain
 * `com.microsoft`). The weight format is {@link packWeight}'s: a `MatMulNBits` copy for the forward and an int8
 * copy with one scale per row for the backward, both holding the same dequantized `Ŵ` `[N, K]`.
 * Gradients flow to the activations only (the weights are frozen).
 * Dimension letters: M rows, K inputs, N outputs, B blocks per row.
 */
import type { Tensor } from "../ir/graph";
import { apply1, seededRandom } from "./helpers";
import { blocksPerRow, packWeight, QUANT_BLOCK, type QuantBits } from "./quant-pack";
import { attr, defineOp } from "./registry";

interface NBitsAttrs {
  [k: string]: number;
  bits: QuantBits;
  /** `MatMulNBits` accuracy level: 0 computes in float32, 4 quantizes the activations to int8 per block. */
  accuracyLevel: number;
}

function checkRows(x: { shape: readonly unknown[] }, k: unknown, what: string): void {
  if (x.shape.length !== 2) throw new Error(`${what}: input must be 2-D [M, K]`);
  if (x.shape[1] !== k) throw new Error(`${what}: input has ${x.shape[1]} columns, the weight ${k}`);
}

/**
 * `x · Ŵᵀ` for `x` `[M, K]` float32. Inputs: `x`, `packed` uint8 `[N, B, 32·bits/8]`, `scales` `[N·B]`, and the
 * backward copy `rowValues` int8 `[N, K]`, `rowScales` `[N]` (read only by the gradient, so a forward-only
 * model does not load it).
 */
export const MatMulNBits = defineOp<NBitsAttrs>({
  name: "MatMulNBits",
  infer: ([x, packed, , rows], { bits }) => {
    if (packed.dtype !== "uint8" || rows.dtype !== "int8")
      throw new Error("MatMulNBits: weights uint8 + int8");
    if (bits !== 4 && bits !== 8) throw new Error(`MatMulNBits: bits must be 4 or 8, got ${bits}`);
    checkRows(x, rows.shape[1], "MatMulNBits");
    return [{ dtype: x.dtype, shape: [x.shape[0], rows.shape[0]] }];
  },
  lower: (ctx, a) => {
    const [n, k] = a.node.inputs[3].shape as number[];
    ctx.emit(
      "MatMulNBits",
      a.inputs.slice(0, 3),
      {
        K: attr.int(k),
        N: attr.int(n),
        bits: attr.int(a.attrs.bits),
        block_size: attr.int(QUANT_BLOCK),
        accuracy_level: attr.int(a.attrs.accuracyLevel),
      },
      { outputs: a.outputs, domain: "com.microsoft" },
    );
  },
  grad: ({ inputs: [, , , rows, rowScales], dOut: [g], wants }) => [
    wants[0] ? rowScaledMatMul(g!, rows, rowScales) : undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ],
  checks: [4, 8].flatMap((bits) =>
    [
      { k: 32, n: 3 },
      { k: 40, n: 2 },
    ].map(({ k, n }) => ({
      name: `int${bits}, K = ${k}`,
      inputs: nbitsCheckInputs(3, k, n, bits as QuantBits),
      attrs: { bits, accuracyLevel: 0 },
      float32Only: true,
    })),
  ),
});

/**
 * `(dY ⊙ s) · R` for `dY` `[M, N]`, `R` int8 `[N, K]`, `s` `[N]`: the backward of {@link MatMulNBits}, as a
 * per-row `DequantizeLinear` and a float32 `MatMul`. It is never
 * differentiated itself (training differentiates the forward graph once).
 */
export const RowScaledMatMul = defineOp({
  name: "RowScaledMatMul",
  infer: ([g, rows, scales]) => {
    if (rows.dtype !== "int8") throw new Error("RowScaledMatMul: the weight must be int8");
    checkRows(g, rows.shape[0], "RowScaledMatMul");
    if (scales.shape[0] !== rows.shape[0]) throw new Error("RowScaledMatMul: one scale per weight row");
    return [{ dtype: g.dtype, shape: [g.shape[0], rows.shape[1]] }];
  },
  // Per-axis DequantizeLinear is not constant-folded by onnxruntime (it keeps Q/DQ nodes), so no float copy of
  // the weight is stored: each backward dequantizes it into a transient buffer and runs a float32 MatMul, exact
  // on Ŵ. (DynamicQuantizeMatMul on dY ⊙ S is 2–3× faster but quantizes the gradient to 8 bits per tensor:
  // 10–20% error on small gradient entries, measured on the tiny Llama.)
  lower: (ctx, a) => {
    const [w] = ctx.emit("DequantizeLinear", [a.inputs[1], a.inputs[2]], { axis: attr.int(0) });
    ctx.emit("MatMul", [a.inputs[0], w], {}, { outputs: a.outputs });
  },
  grad: "none",
});

/** Random weights of a check case, packed consistently (the two copies must hold the same values). */
function nbitsCheckInputs(m: number, k: number, n: number, bits: QuantBits) {
  const rand = seededRandom(5 + k + bits);
  const w = Float32Array.from({ length: n * k }, () => 2 * rand() - 1);
  const p = packWeight(w, n, k, bits);
  const nb = blocksPerRow(k);
  return [
    { shape: [m, k] },
    {
      shape: [n, nb, (QUANT_BLOCK * bits) / 8],
      dtype: "uint8" as const,
      values: [...p.packed],
      noGrad: true,
    },
    { shape: [n * nb], values: [...p.scales], noGrad: true },
    { shape: [n, k], dtype: "int8" as const, values: [...p.rowValues], noGrad: true },
    { shape: [n], values: [...p.rowScales], noGrad: true },
  ];
}

/** `x · Ŵᵀ` with a quantized weight (see {@link MatMulNBits}); `x` `[M, K]`. */
export const matmulNBits = (
  x: Tensor,
  w: { packed: Tensor; scales: Tensor; rowValues: Tensor; rowScales: Tensor; bits: QuantBits },
  accuracyLevel = 4,
): Tensor =>
  apply1(MatMulNBits, [x, w.packed, w.scales, w.rowValues, w.rowScales], { bits: w.bits, accuracyLevel });

/** `(dY ⊙ s) · R` (see {@link RowScaledMatMul}). */
export const rowScaledMatMul = (g: Tensor, rows: Tensor, scales: Tensor): Tensor =>
  apply1(RowScaledMatMul, [g, rows, scales]);
