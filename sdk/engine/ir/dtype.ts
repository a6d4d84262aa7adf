/** Element types the engine knows, named as in ONNX (lower case). */
export type DType = "float32" | "float64" | "float16" | "int64" | "int32" | "int8" | "uint8" | "bool";

/** ONNX `TensorProto.DataType` codes. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

/** Bytes per element. */
export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Typed array that holds values of each dtype in JavaScript. */
export type TypedArrayFor<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : D extends "int64"
      ? BigInt64Array
      : D extends "int32"
        ? Int32Array
        : D extends "float16"
          ? Uint16Array
          : D extends "int8"
            ? Int8Array
            : Uint8Array;

/** Any typed array the engine exchanges with onnxruntime. */
export type AnyTypedArray =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** True for floating-point dtypes (those that can carry gradients). */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16";
}

/**
 * Makes a typed array of `dtype` from plain numbers.
 * @param dtype - element type
 * @param values - numbers (rounded for integer types)
 * @returns the typed array onnxruntime expects for that dtype
 */
export function typedArrayOf(dtype: DType, values: ArrayLike<number>): AnyTypedArray {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int64":
      return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.round(v))));
    case "int32":
      return Int32Array.from(values);
    case "int8":
      return Int8Array.from(values);
    case "uint8":
    case "bool":
      return Uint8Array.from(values);
    case "float16":
      throw new Error("typedArrayOf: float16 values must be converted by the caller");
  }
}
