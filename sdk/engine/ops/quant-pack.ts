/**
 * The quantized-weight format the engine's `MatMulNBits` op reads: a weight `W` `[O, I]` (Hugging Face layout)
 * quantized along `I` in blocks of {@link QUANT_BLOCK}, packed for onnxruntime's `MatMulNBits` (bits 4 or 8,
 * default zero point 2^(bits−1)), plus an int8 copy `R` `[O, I]` with one scale per row `S` `[O]` that holds
 * exactly the same dequantized values, so the backward `dX = dY·Ŵ = (dY ⊙ S)·R` runs on onnxruntime's int8
 * `DynamicQuantizeMatMul` with no transposed copy.
 *
 * int8: `Ŵ[o, i] = S[o]·q[o, i]`, q ∈ [−127, 127], every block's scale is `S[o]`, `R = q`.
 * int4: block scales are integer multiples of the row scale, `s[o, b] = S[o]·m[o, b]` with m ∈ 1..16 and
 * q ∈ [−8, 7], so `Ŵ[o, i] = S[o]·(m·q)` and `R = m·q` ∈ [−128, 112] fits int8 exactly.
 * Dimension letters: O outputs (rows), I inputs, B blocks per row.
 */

/** Block size along the input dimension (a power of two ≥ 16, as `MatMulNBits` requires). */
export const QUANT_BLOCK = 32;

/** Bits per weight in the forward copy. */
export type QuantBits = 4 | 8;

/** A weight quantized for {@link QUANT_BLOCK}-blocked `MatMulNBits` and the row-scaled backward. */
export interface PackedWeight {
  readonly bits: QuantBits;
  readonly rows: number;
  readonly cols: number;
  /** `[O, B, 32·bits/8]` uint8, input dimension zero-padded to whole blocks. */
  readonly packed: Uint8Array;
  /** `[O·B]` block scales. */
  readonly scales: Float32Array;
  /** `[O, I]` int8 values of the backward copy. */
  readonly rowValues: Int8Array;
  /** `[O]` row scales of the backward copy. */
  readonly rowScales: Float32Array;
}

/** Blocks per row for `cols` inputs. */
export const blocksPerRow = (cols: number): number => Math.ceil(cols / QUANT_BLOCK);

/**
 * Quantizes a float32 `[O, I]` weight (round to nearest, symmetric).
 * @param w - row-major values
 * @param rows - O
 * @param cols - I
 * @param bits - 4 or 8
 * @returns both copies and their scales
 * @example
 * ```ts
 * const q = packWeight(Float32Array.from({ length: 64 }, (_, i) => i / 64 - 0.5), 2, 32, 4);
 * ```
 */
export function packWeight(w: Float32Array, rows: number, cols: number, bits: QuantBits): PackedWeight {
  if (w.length !== rows * cols) throw new Error(`packWeight: ${w.length} values for [${rows}, ${cols}]`);
  const nb = blocksPerRow(cols);
  const blob = (QUANT_BLOCK * bits) / 8;
  const packed = new Uint8Array(rows * nb * blob);
  const scales = new Float32Array(rows * nb);
  const rowValues = new Int8Array(rows * cols);
  const rowScales = new Float32Array(rows);
  const qmax = bits === 8 ? 127 : 7;
  const zero = bits === 8 ? 128 : 8;
  const amax = new Float32Array(nb);
  for (let o = 0; o < rows; o++) {
    const row = w.subarray(o * cols, (o + 1) * cols);
    let rowMax = 0;
    amax.fill(0);
    for (let i = 0; i < cols; i++) {
      const a = Math.abs(row[i]);
      const b = (i / QUANT_BLOCK) | 0;
      if (a > amax[b]) amax[b] = a;
      if (a > rowMax) rowMax = a;
    }
    // int8: one scale per row; int4: multiples 1..16 of rowMax / (7·16).
    const S = rowMax > 0 ? (bits === 8 ? rowMax / qmax : rowMax / (qmax * 16)) : 1;
    rowScales[o] = S;
    for (let b = 0; b < nb; b++) {
      const m = bits === 8 ? 1 : bestMultiple(row, b, cols, S, amax[b]);
      const s = S * m;
      scales[o * nb + b] = s;
      const base = (o * nb + b) * blob;
      if (bits === 4) packed.fill(0x88, base, base + blob); // padding holds the zero point
      for (let j = 0; j < QUANT_BLOCK; j++) {
        const i = b * QUANT_BLOCK + j;
        if (i >= cols) break;
        const q = Math.min(qmax, Math.max(-qmax - (bits === 4 ? 1 : 0), Math.round(row[i] / s)));
        rowValues[o * cols + i] = q * m;
        if (bits === 8) packed[base + j] = q + zero;
        else {
          const k = base + (j >> 1);
          packed[k] = j & 1 ? (packed[k] & 0x0f) | ((q + zero) << 4) : (packed[k] & 0xf0) | (q + zero);
        }
      }
      if (bits === 8) for (let j = cols - b * QUANT_BLOCK; j < QUANT_BLOCK; j++) packed[base + j] = zero;
    }
  }
  return { bits, rows, cols, packed, scales, rowValues, rowScales };
}

/**
 * The int4 block multiple `m` (scale `S·m`) with the least squared error among the one covering the block's
 * largest value and the next three smaller ones (which clip it): a small search that lowers the error of
 * round-to-nearest.
 */
function bestMultiple(row: Float32Array, b: number, cols: number, S: number, amax: number): number {
  const top = Math.min(16, Math.max(1, Math.ceil(amax / (7 * S) - 1e-6)));
  let best = top;
  let bestErr = Number.POSITIVE_INFINITY;
  const end = Math.min(cols, (b + 1) * QUANT_BLOCK);
  for (let m = top; m >= Math.max(1, top - 3); m--) {
    const s = S * m;
    let err = 0;
    for (let i = b * QUANT_BLOCK; i < end; i++) {
      const q = Math.min(7, Math.max(-8, Math.round(row[i] / s)));
      err += (q * s - row[i]) ** 2;
    }
    if (err < bestErr) [best, bestErr] = [m, err];
  }
  return best;
}

/**
 * The dequantized values `Ŵ` both copies hold (for references and merged export).
 * @param p - a packed weight
 * @returns `[O, I]` float32
 * @example
 * ```ts
 * const w = unpackWeight(packWeight(values, 2, 32, 8));
 * ```
 */
export function unpackWeight(p: PackedWeight): Float32Array {
  const out = new Float32Array(p.rows * p.cols);
  for (let o = 0; o < p.rows; o++) {
    for (let i = 0; i < p.cols; i++) out[o * p.cols + i] = p.rowScales[o] * p.rowValues[o * p.cols + i];
  }
  return out;
}
