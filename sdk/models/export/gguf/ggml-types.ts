/**
 * The ggml tensor types a GGUF export writes, and their encoders: `f32`, `f16`, and the block-quantized `q8_0`
 * and `q4_0` (32 values per block with one float16 scale `d`; layouts `block_q8_0` and `block_q4_0` of ggml's
 * `ggml-common.h`, rounding as ggml's reference quantizers `quantize_row_q8_0_ref` / `quantize_row_q4_0_ref`).
 * Quantized rows run along the innermost dimension, so its length must be a multiple of 32.
 */
import { float16ToFloat32, float32ToFloat16 } from "../../safetensors";

/** The tensor types of a GGUF export. */
export const GGML_TYPES = {
  f32: { id: 0, blockSize: 1, blockBytes: 4 },
  f16: { id: 1, blockSize: 1, blockBytes: 2 },
  q4_0: { id: 2, blockSize: 32, blockBytes: 18 },
  q8_0: { id: 8, blockSize: 32, blockBytes: 34 },
} as const;

/** A tensor type name (`f32`, `f16`, `q8_0`, `q4_0`). */
export type GgmlTypeName = keyof typeof GGML_TYPES;

/** The type names, for messages and option schemas. */
export const GGML_TYPE_NAMES = Object.keys(GGML_TYPES) as GgmlTypeName[];

/**
 * Bytes a tensor takes in a type.
 * @param type - the type
 * @param shape - outermost first
 * @returns the size in bytes
 * @throws Error when a quantized tensor's innermost dimension is not a multiple of the block size
 * @example
 * ```ts
 * tensorBytes("q8_0", [4, 64]); // 4 rows × 2 blocks × 34 bytes = 272
 * ```
 */
export function tensorBytes(type: GgmlTypeName, shape: readonly number[]): number {
  const { blockSize, blockBytes } = GGML_TYPES[type];
  const n = shape.reduce((a, b) => a * b, 1);
  const inner = shape.at(-1) ?? 1;
  if (inner % blockSize !== 0) {
    throw new Error(`${type} needs rows of a multiple of ${blockSize} values, got ${inner}`);
  }
  return (n / blockSize) * blockBytes;
}

/**
 * Whether a tensor of this shape can be stored in a type (quantized rows must be whole blocks).
 * @param type - the type
 * @param shape - outermost first
 * @returns true when it fits
 * @example
 * ```ts
 * fitsType("q4_0", [8, 48]); // false: 48 is not a multiple of 32
 * ```
 */
export function fitsType(type: GgmlTypeName, shape: readonly number[]): boolean {
  return (shape.at(-1) ?? 1) % GGML_TYPES[type].blockSize === 0;
}

/** C's `roundf`: halves away from zero. */
function roundAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function quantizeQ8_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  const scale = new Float32Array(1);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    scale[0] = d;
    view.setUint16(b * 34, float32ToFloat16(scale)[0], true);
    for (let j = 0; j < 32; j++) view.setInt8(b * 34 + 2 + j, roundAway(Math.fround(x[b * 32 + j] * id)));
  }
  return out;
}

function quantizeQ4_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 18);
  const view = new DataView(out.buffer);
  const scale = new Float32Array(1);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b * 32 + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d ? Math.fround(1 / d) : 0;
    scale[0] = d;
    view.setUint16(b * 18, float32ToFloat16(scale)[0], true);
    const q = (v: number) => Math.min(15, Math.trunc(Math.fround(Math.fround(v * id) + 8.5)));
    for (let j = 0; j < 16; j++) {
      out[b * 18 + 2 + j] = q(x[b * 32 + j]) | (q(x[b * 32 + 16 + j]) << 4);
    }
  }
  return out;
}

/**
 * Encodes float32 values in a type.
 * @param type - the type
 * @param values - row-major values (quantized types: a multiple of 32)
 * @returns the bytes as stored in a GGUF file
 * @example
 * ```ts
 * encodeTensor("q8_0", new Float32Array(32).fill(1)); // 34 bytes: d = 1/127, 32 × 127
 * ```
 */
export function encodeTensor(type: GgmlTypeName, values: Float32Array): Uint8Array {
  if (type === "f32") return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (type === "f16") return new Uint8Array(float32ToFloat16(values).buffer);
  return type === "q8_0" ? quantizeQ8_0(values) : quantizeQ4_0(values);
}

/**
 * Decodes a tensor's bytes back to float32 (as ggml's `dequantize_row_*`), for checks.
 * @param type - the type
 * @param bytes - the stored bytes
 * @returns the values
 * @example
 * ```ts
 * decodeTensor("q4_0", encodeTensor("q4_0", values));
 * ```
 */
export function decodeTensor(type: GgmlTypeName, bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === "f32") return new Float32Array(bytes.slice().buffer);
  if (type === "f16") return float16ToFloat32(new Uint16Array(bytes.slice().buffer));
  const { blockBytes } = GGML_TYPES[type];
  const blocks = bytes.length / blockBytes;
  const out = new Float32Array(blocks * 32);
  for (let b = 0; b < blocks; b++) {
    const d = float16ToFloat32(new Uint16Array([view.getUint16(b * blockBytes, true)]))[0];
    for (let j = 0; j < (type === "q8_0" ? 32 : 16); j++) {
      if (type === "q8_0") {
        out[b * 32 + j] = view.getInt8(b * blockBytes + 2 + j) * d;
      } else {
        const byte = bytes[b * blockBytes + 2 + j];
        out[b * 32 + j] = ((byte & 15) - 8) * d;
        out[b * 32 + 16 + j] = ((byte >> 4) - 8) * d;
      }
    }
  }
  return out;
}
