/**
 * DoRA (weight-decomposed low-rank adaptation, Liu et al. 2024), as PEFT computes it (`peft/tuners/lora/dora.py`):
 * the adapted weight is `W' = m ⊙ (W + s·B·A) / ‖W + s·B·A‖`, the norm taken per output row (over the inputs) and
 * treated as a constant in the backward pass (the paper's section 4.3; PEFT detaches it). The layer's output is
 * the base output plus `(m/‖·‖ − 1) ⊙ (x'·Wᵀ) + m/‖·‖ ⊙ s·(x'·Aᵀ)·Bᵀ`, where `x'` is the adapter's input (the
 * dropped-out `x` while training with dropout, where PEFT computes `x'·Wᵀ` again; else `x`, whose `x·Wᵀ` is reused).
 * Dimension letters: I inputs, O outputs, R rank.
 */
import { add, div, linear, matmul, mul, reduceSum, sqrt, stopGradient, sub, type Tensor } from "../../engine";

/**
 * The detached row norms `‖W + s·B·A‖` `[O]` of a DoRA layer (no gradient flows through them).
 * @param weight - frozen `[O, I]`
 * @param a - `[R, I]`
 * @param b - `[O, R]`
 * @param scale - the LoRA scale s
 * @returns `[O]`
 * @example
 * ```ts
 * const norm = doraWeightNorm(w, a, b, 2);
 * ```
 */
export function doraWeightNorm(weight: Tensor, a: Tensor, b: Tensor, scale: number): Tensor {
  const w = add(weight, mul(matmul(b, a), scale));
  return stopGradient(sqrt(reduceSum(mul(w, w), [1])));
}

/** Inputs of {@link doraLinear}. */
export interface DoraLinearInputs {
  /** The layer's input `[..., I]`. */
  x: Tensor;
  /** The adapter's input: `x`, or `x` after dropout while training. */
  xin: Tensor;
  /** Whether `xin` may differ from `x` (dropout in a training graph): then `xin·Wᵀ` is computed again, as PEFT does. */
  dropped: boolean;
  weight: Tensor;
  bias?: Tensor;
  a: Tensor;
  b: Tensor;
  /** The magnitude `m` `[O]`. */
  magnitude: Tensor;
  scale: number;
  /** The row norms to use instead of {@link doraWeightNorm} (tests freeze them for finite differences). */
  norm?: Tensor;
}

/**
 * A DoRA linear layer `[..., I] → [..., O]` in PEFT's form: `y + (f − 1) ⊙ (x'·Wᵀ) + f ⊙ s·(x'·Aᵀ)·Bᵀ` with
 * `y = x·Wᵀ + bias` and `f = m / ‖W + s·B·A‖` (detached norm).
 * @param p - the inputs, weights and settings
 * @returns `[..., O]`
 * @example
 * ```ts
 * const y = doraLinear({ x, xin: x, dropped: false, weight: w, a, b, magnitude: m, scale: 2 });
 * ```
 */
export function doraLinear(p: DoraLinearInputs): Tensor {
  const factor = div(p.magnitude, p.norm ?? doraWeightNorm(p.weight, p.a, p.b, p.scale));
  const base = linear(p.x, p.weight);
  const y = p.bias ? add(base, p.bias) : base;
  const direction = p.dropped ? linear(p.xin, p.weight) : base;
  const lora = mul(linear(linear(p.xin, p.a), p.b), p.scale);
  return add(y, add(mul(sub(factor, 1), direction), mul(factor, lora)));
}

/**
 * The row norms `‖w‖` of a `[O, I]` weight held in memory (each accumulated in float64), e.g. a fresh DoRA
 * magnitude (B = 0, so `m = ‖W‖`) or the norms of a merged weight.
 * @param w - `[O, I]` values, row-major
 * @param out - O
 * @returns `[O]`
 * @example
 * ```ts
 * rowNorms(new Float32Array([3, 4, 0, 1]), 2); // [5, 1]
 * ```
 */
export function rowNorms(w: Float32Array, out: number): Float32Array {
  const I = w.length / out;
  const norms = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let sum = 0;
    for (let i = 0; i < I; i++) sum += w[o * I + i] * w[o * I + i];
    norms[o] = Math.sqrt(sum);
  }
  return norms;
}

/**
 * Rescales each row of a weight that already holds `W + s·B·A` to the DoRA magnitude: `w ← m ⊙ w / ‖w‖` in place
 * (PEFT's merge: `dora_factor = m / ‖W + ΔW‖`, `W' = dora_factor · (W + ΔW)`).
 * @param w - `[O, I]` values holding `W + s·B·A`
 * @param magnitude - `m` `[O]`
 * @returns `w`
 * @example
 * ```ts
 * applyDoraMagnitude(new Float32Array([3, 4]), new Float32Array([10])); // [6, 8]
 * ```
 */
export function applyDoraMagnitude(w: Float32Array, magnitude: Float32Array): Float32Array {
  const out = magnitude.length;
  const I = w.length / out;
  const norms = rowNorms(w, out);
  for (let o = 0; o < out; o++) {
    const f = magnitude[o] / norms[o];
    for (let i = 0; i < I; i++) w[o * I + i] *= f;
  }
  return w;
}
