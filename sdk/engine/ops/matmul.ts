/**
 * Matrix products. `MatMul` is NumPy's batched, broadcasting product; `Gemm` is the 2-D product with
 * transposes, which uses Hugging Face `[out, in]` weights in place (`transB`) — no transposed copy.
 * Dimension letters: N rows, K reduced, M columns.
 */
import type { Tensor } from "../ir/graph";
import { broadcastShapes, type Dim, formatShape } from "../ir/shape";
import { mul } from "./elementwise";
import { apply1 } from "./helpers";
import { transposeLast2 } from "./movement";
import { sumToShapeOf } from "./reduce";
import { attr, defineOp } from "./registry";

export const MatMul = defineOp({
  name: "MatMul",
  infer: ([a, b]) => {
    if (a.shape.length < 2 || b.shape.length < 2) throw new Error("both operands need rank ≥ 2");
    if (a.dtype !== b.dtype) throw new Error(`dtypes differ: ${a.dtype} vs ${b.dtype}`);
    const k1 = a.shape[a.shape.length - 1];
    const k2 = b.shape[b.shape.length - 2];
    if (k1 !== k2)
      throw new Error(`inner dimensions differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (!batch) throw new Error("batch dimensions do not broadcast");
    return [{ dtype: a.dtype, shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]] }];
  },
  lower: (ctx, a) => void ctx.emit("MatMul", a.inputs, {}, { outputs: a.outputs }),
  grad: ({ inputs: [a, b], dOut: [g], wants }) => [
    wants[0] ? sumToShapeOf(matmul(g!, transposeLast2(b)), a) : undefined,
    wants[1] ? sumToShapeOf(matmul(transposeLast2(a), g!), b) : undefined,
  ],
  checks: [
    { name: "2-D", inputs: [{ shape: [2, 3] }, { shape: [3, 4] }] },
    { name: "batched broadcast", inputs: [{ shape: [2, 2, 3] }, { shape: [3, 2] }] },
  ],
});

interface GemmAttrs {
  [k: string]: boolean | number;
  transA: boolean;
  transB: boolean;
  alpha: number;
}

export const Gemm = defineOp<GemmAttrs>({
  name: "Gemm",
  infer: ([a, b], { transA, transB }) => {
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error("Gemm operands must be 2-D");
    const [n, k1]: Dim[] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, m]: Dim[] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (k1 !== k2) throw new Error(`inner dimensions differ (${k1} vs ${k2})`);
    return [{ dtype: a.dtype, shape: [n, m] }];
  },
  lower: (ctx, a) =>
    void ctx.emit(
      "Gemm",
      a.inputs,
      {
        transA: attr.int(a.attrs.transA ? 1 : 0),
        transB: attr.int(a.attrs.transB ? 1 : 0),
        alpha: attr.float(a.attrs.alpha),
      },
      { outputs: a.outputs },
    ),
  grad: ({ inputs: [a, b], dOut: [g0], attrs: { transA, transB, alpha }, wants }) => {
    const g = alpha === 1 ? g0! : mul(g0!, alpha);
    // C = op(A)·op(B): each case's gradients are Gemms again, so no transposed weight copy is made.
    const dA = !transA
      ? gemm(g, b, { transB: !transB })
      : transB
        ? gemm(b, g, { transA: true, transB: true })
        : gemm(b, g, { transB: true });
    const dB = !transB
      ? gemm(a, g, { transA: !transA })
      : transA
        ? gemm(g, a, { transA: true, transB: true })
        : gemm(g, a, { transA: true });
    return [wants[0] ? dA : undefined, wants[1] ? dB : undefined];
  },
  checks: [
    {
      name: "A·Bᵀ",
      inputs: [{ shape: [2, 3] }, { shape: [4, 3] }],
      attrs: { transA: false, transB: true, alpha: 1 },
    },
    {
      name: "A·B",
      inputs: [{ shape: [2, 3] }, { shape: [3, 4] }],
      attrs: { transA: false, transB: false, alpha: 2 },
    },
    {
      name: "Aᵀ·B",
      inputs: [{ shape: [3, 2] }, { shape: [3, 4] }],
      attrs: { transA: true, transB: false, alpha: 1 },
    },
    {
      name: "Aᵀ·Bᵀ",
      inputs: [{ shape: [3, 2] }, { shape: [4, 3] }],
      attrs: { transA: true, transB: true, alpha: 1 },
    },
  ],
});

/** Batched matrix product `a @ b` (rank ≥ 2, batch dims broadcast). */
export const matmul = (a: Tensor, b: Tensor): Tensor => apply1(MatMul, [a, b]);

/** 2-D product `alpha · op(a) · op(b)`. */
export const gemm = (
  a: Tensor,
  b: Tensor,
  o: { transA?: boolean; transB?: boolean; alpha?: number } = {},
): Tensor =>
  apply1(Gemm, [a, b], { transA: o.transA ?? false, transB: o.transB ?? false, alpha: o.alpha ?? 1 });
