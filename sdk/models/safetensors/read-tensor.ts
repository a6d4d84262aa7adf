import { open } from "node:fs/promises";
import { SafetensorsError } from "../errors";
import { bfloat16ToFloat32, float16ToFloat32, type SafetensorsDtype } from "./dtypes";
import type { TensorRef } from "./parse-header";

/** Tensor values in memory: float dtypes become `Float32Array`; I64 → `BigInt64Array`; I32 → `Int32Array`; BOOL/U8 → `Uint8Array`. */
export type TensorValues = Float32Array | BigInt64Array | Int32Array | Uint8Array;

/** A tensor read into memory. */
export interface Tensor {
  /** Tensor name. */
  readonly name: string;
  /** The dtype stored in the file (F16/BF16 values are nevertheless returned as float32). */
  readonly dtype: SafetensorsDtype;
  /** Shape; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** The values, row-major. */
  readonly data: TensorValues;
}

/**
 * Reads a tensor's raw little-endian bytes from its file.
 * @param ref - where the tensor lies
 * @returns a fresh, 8-byte-aligned buffer of `ref.byteLength` bytes
 * @throws {@link SafetensorsError} if the file is shorter than the reference says
 * @example
 * ```ts
 * const bytes = await readTensorBytes(file.ref("lm_head.weight"));
 * ```
 */
export async function readTensorBytes(ref: TensorRef): Promise<Uint8Array> {
  const bytes = new Uint8Array(new ArrayBuffer(ref.byteLength));
  const handle = await open(ref.file, "r");
  try {
    let done = 0;
    while (done < ref.byteLength) {
      const { bytesRead } = await handle.read(bytes, done, ref.byteLength - done, ref.dataOffset + done);
      if (bytesRead === 0) {
        throw new SafetensorsError({
          file: ref.file,
          tensor: ref.name,
          problem: "the file ends before the tensor's last byte",
        });
      }
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return bytes;
}

/**
 * Reads a tensor into memory, converting F16 and BF16 to float32.
 * @param ref - where the tensor lies
 * @returns the tensor with typed values
 * @throws {@link SafetensorsError} if the file is shorter than the reference says
 * @example
 * ```ts
 * const { data, shape } = await readTensor(file.ref("model.embed_tokens.weight"));
 * ```
 */
export async function readTensor(ref: TensorRef): Promise<Tensor> {
  const bytes = await readTensorBytes(ref);
  const buf = bytes.buffer;
  const n = ref.byteLength;
  let data: TensorValues;
  switch (ref.dtype) {
    case "F32":
      data = new Float32Array(buf, 0, n / 4);
      break;
    case "F16":
      data = float16ToFloat32(new Uint16Array(buf, 0, n / 2));
      break;
    case "BF16":
      data = bfloat16ToFloat32(new Uint16Array(buf, 0, n / 2));
      break;
    case "I64":
      data = new BigInt64Array(buf, 0, n / 8);
      break;
    case "I32":
      data = new Int32Array(buf, 0, n / 4);
      break;
    default:
      data = bytes;
  }
  return { name: ref.name, dtype: ref.dtype, shape: ref.shape, data };
}

/**
 * Reads a floating-point tensor (F32, F16 or BF16) as float32.
 * @param ref - where the tensor lies
 * @returns the values as float32
 * @throws {@link SafetensorsError} if the tensor is not a float dtype or the file is short
 * @example
 * ```ts
 * const w = await readTensorFloat32(file.ref("lm_head.weight"));
 * ```
 */
export async function readTensorFloat32(ref: TensorRef): Promise<Float32Array> {
  if (ref.dtype !== "F32" && ref.dtype !== "F16" && ref.dtype !== "BF16") {
    throw new SafetensorsError({
      file: ref.file,
      tensor: ref.name,
      problem: `readFloat32 needs an F32, F16 or BF16 tensor, this one is ${ref.dtype}`,
      fix: "Use read() for integer and boolean tensors.",
    });
  }
  return (await readTensor(ref)).data as Float32Array;
}
