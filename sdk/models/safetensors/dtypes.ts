/**
 * Safetensors dtypes tunebook reads and writes, their sizes, and float16/bfloat16 ⇄ float32 conversion.
 */

/** A safetensors dtype tunebook understands. */
export type SafetensorsDtype = "F32" | "F16" | "BF16" | "I64" | "I32" | "BOOL" | "U8";

/** Bytes per element of each supported dtype. */
export const DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  BOOL: 1,
  U8: 1,
};

/** Every supported dtype, in the order used in messages. */
export const SAFETENSORS_DTYPES = Object.keys(DTYPE_SIZES) as SafetensorsDtype[];

/**
 * Whether a string names a supported dtype.
 * @param dtype - the `dtype` field of a safetensors header entry
 * @returns true for F32, F16, BF16, I64, I32, BOOL, U8
 * @example
 * ```ts
 * isSafetensorsDtype("BF16"); // true
 * ```
 */
export function isSafetensorsDtype(dtype: unknown): dtype is SafetensorsDtype {
  return typeof dtype === "string" && Object.hasOwn(DTYPE_SIZES, dtype);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Converts IEEE 754 half-precision bit patterns to float32 (exact; subnormals, ±inf and NaN included).
 * @param bits - float16 values as raw 16-bit patterns
 * @returns the same values as float32
 * @example
 * ```ts
 * float16ToFloat32(new Uint16Array([0x3c00])); // Float32Array [1]
 * ```
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 0x1f) out[i] = frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/**
 * Converts bfloat16 bit patterns to float32 (exact: bfloat16 is the top half of a float32).
 * @param bits - bfloat16 values as raw 16-bit patterns
 * @returns the same values as float32
 * @example
 * ```ts
 * bfloat16ToFloat32(new Uint16Array([0x3f80])); // Float32Array [1]
 * ```
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}

/**
 * Rounds float32 values to bfloat16 (round to nearest, ties to even; NaN stays NaN), as PyTorch does.
 * @param values - float32 values
 * @returns bfloat16 bit patterns
 * @example
 * ```ts
 * float32ToBfloat16(new Float32Array([1])); // Uint16Array [0x3f80]
 * ```
 */
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    if (Number.isNaN(values[i])) out[i] = ((x >>> 16) & 0x8000) | 0x7fc0;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

/**
 * Rounds float32 values to IEEE half precision (round to nearest, ties to even; overflow to ±inf, subnormals
 * kept), as numpy and PyTorch do.
 * @param values - float32 values
 * @returns float16 bit patterns
 * @example
 * ```ts
 * float32ToFloat16(new Float32Array([1])); // Uint16Array [0x3c00]
 * ```
 */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = oneFloat32ToFloat16(values[i]);
  return out;
}

function oneFloat32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}
