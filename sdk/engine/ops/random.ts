/**
 * Counter-based pseudo-random numbers from a seed *input*, in standard ONNX integer ops, so a training step
 * is reproducible from (seed, step) and resumable: u = hash(seed, salt, element index) ∈ [0, 1).
 */
import type { Tensor } from "../ir/graph";
import { numel } from "../ir/shape";
import { arangeLike } from "./attention";
import { add, cast, div, less, mod, mul } from "./elementwise";
import { reshape } from "./movement";

const M = 2147483647; // 2^31 − 1, prime; all products stay below 2^62.

/**
 * Uniform numbers shaped like `like`, a function of `seed` (int64 scalar input), `salt` and position.
 * @param like - tensor whose shape the result takes
 * @param seed - int64 scalar
 * @param salt - distinguishes call sites within one graph
 */
export function uniformLike(like: Tensor, seed: Tensor, salt: number): Tensor {
  const flat = reshape(like, [numel(like.shape)]);
  const idx = arangeLike(flat, 0);
  const s = mod(add(mul(mod(seed, M), 48271), salt * 69621 + 1), M);
  let x = mod(add(mul(idx, 16807), s), M);
  x = mod(add(mul(x, x), 12345), M);
  x = mod(add(mul(x, 48271), s), M);
  x = mod(add(mul(x, x), idx), M);
  const u = div(cast(x, "float32"), M);
  return reshape(like.dtype === "float32" ? u : cast(u, like.dtype), like.shape);
}

/**
 * Inverted dropout: zeroes each element with probability `p` and scales the rest by `1/(1−p)`.
 * @param x - input
 * @param p - drop probability in [0, 1)
 * @param seed - int64 scalar input (change it every step)
 * @param salt - distinct per call site
 */
export function dropout(x: Tensor, p: number, seed: Tensor, salt: number): Tensor {
  if (p <= 0) return x;
  if (p >= 1) throw new RangeError(`dropout probability must be < 1, got ${p}`);
  const keep = cast(less(p, uniformLike(x, seed, salt)), x.dtype);
  return mul(x, div(keep, 1 - p));
}
