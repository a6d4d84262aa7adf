/**
 * `backbone_dtype`: how the frozen backbone weights are held (H2O LLM Studio's values). `int8` and `int4`
 * quantize the frozen linear weights when the model is loaded; `float16` and `bfloat16` have no faster kernel
 * than float32 on onnxruntime's CPU provider, so there they are computed (and held) in float32.
 */

import type { QuantBits } from "../../engine";
import { ConfigError } from "../../errors";

/** The accepted values of `backbone_dtype`. */
export const BACKBONE_DTYPES = ["float32", "bfloat16", "float16", "int8", "int4"] as const;

/** How the frozen backbone weights are held. */
export type BackboneDtype = (typeof BACKBONE_DTYPES)[number];

/**
 * Bits of the quantized frozen linear weights, or undefined for the float dtypes.
 * @param dtype - a backbone dtype
 * @returns 8, 4 or undefined
 * @example
 * ```ts
 * quantBitsOf("int4"); // 4
 * ```
 */
export function quantBitsOf(dtype: BackboneDtype): QuantBits | undefined {
  return dtype === "int8" ? 8 : dtype === "int4" ? 4 : undefined;
}

/**
 * Refuses a dtype the execution provider cannot run (no silent fallback).
 * @param dtype - the requested dtype
 * @param device - the execution provider
 * @returns nothing
 * @throws ConfigError naming the dtype, the device and what to set instead
 * @example
 * ```ts
 * checkDtypeOnDevice("int4", "cpu"); // fine
 * ```
 */
export function checkDtypeOnDevice(dtype: BackboneDtype, device: "cpu" | "cuda"): void {
  if (device === "cpu" || dtype === "float32") return;
  const message =
    `backbone dtype "${dtype}" is not available on the ${device} execution provider yet (the quantized and ` +
    "16-bit paths are implemented and tested on onnxruntime's CPU provider only)";
  throw new ConfigError(
    [{ path: ["dtype"], message: `${message}; use dtype "float32" on ${device}, or device "cpu"` }],
    {
      source: "Backbone.load options",
    },
  );
}
