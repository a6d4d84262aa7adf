/**
 * Frozen weights as ONNX external data: float32 tensors are referenced in place in their safetensors file
 * (hard-linked, or copied across file systems, into the model's folder, since onnxruntime reads external data
 * only from there); float16/bfloat16 tensors are converted to float32 into one side file in that folder.
 */
import { closeSync, copyFileSync, linkSync, openSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import { type ParamData, packWeight, type QuantBits, unpackWeight } from "../../engine";
import type { WeightIndex } from "../hf-dir";
import { isQuantizedLinear, type QuantCacheFile, quantizedShard } from "../quant/quant-cache";
import { bfloat16ToFloat32, float16ToFloat32, type TensorRef } from "../safetensors";
import { WeightMismatchError } from "./weight-mismatch-error";

/** The side file holding float16/bfloat16 weights converted to float32. */
export const CONVERTED_FILE = "converted-f32.bin";

/** The external data of a quantized frozen linear weight (see `packWeight` in the engine). */
export interface QuantizedParamData {
  readonly bits: QuantBits;
  readonly packed: ParamData;
  readonly scales: ParamData;
  readonly rowValues: ParamData;
  readonly rowScales: ParamData;
}

/** Options of {@link WeightSource}. */
export interface WeightSourceOptions {
  /**
   * `[graph prefix, stored prefix]` pairs tried in order for a name the checkpoint lacks (the config's
   * `tensorAliases`: Gemma 3's text tower stored under `language_model.model.`).
   */
  readonly tensorAliases?: readonly (readonly [string, string])[];
  /** Quantize the frozen linear weights to this many bits (through the on-disk cache). */
  readonly quantBits?: QuantBits;
  /**
   * `MatMulNBits` accuracy level of the quantized forward: 4 (default, fastest here) quantizes the activations
   * to int8 per block; 0 computes in float32 on the dequantized weights (for exact references).
   */
  readonly quantAccuracyLevel?: 0 | 4;
  /** Receives a line when a quantized cache is built or rebuilt. */
  readonly note?: (line: string) => void;
}

/** Reads a float tensor from its file and converts it to float32. */
export function toFloat32(ref: TensorRef): Float32Array {
  const raw = new Uint8Array(ref.byteLength);
  const fd = openSync(ref.file, "r");
  try {
    readSync(fd, raw, 0, ref.byteLength, ref.dataOffset);
  } finally {
    closeSync(fd);
  }
  if (ref.dtype === "F32") return new Float32Array(raw.buffer);
  const bits = new Uint16Array(raw.buffer);
  return ref.dtype === "F16" ? float16ToFloat32(bits) : bfloat16ToFloat32(bits);
}

/** Locates (and, where needed, converts) a model's weights for a model file written into `folder`. */
export class WeightSource {
  private readonly linked = new Map<string, string>();
  private readonly cache = new Map<string, ParamData>();
  private readonly overrides = new Map<string, Float32Array>();
  private convertedFd: number | undefined;
  private convertedBytes = 0;
  private readonly shards = new Map<string, QuantCacheFile>();

  /**
   * @param weights - the model directory's weights
   * @param folder - the folder the ONNX model will be written to (must exist)
   * @param options - `tensorAliases`: names the checkpoint stores under other prefixes; `quantBits` quantizes the
   *   frozen linear weights; `note` receives cache lines
   */
  constructor(
    readonly weights: WeightIndex,
    readonly folder: string,
    readonly options: WeightSourceOptions = {},
  ) {}

  /**
   * The checkpoint's name for a tensor: `name` itself, or its first alias the checkpoint has.
   * @param name - tensor name as the graph spells it
   * @returns the stored name (`name` when neither it nor an alias is stored)
   * @example
   * ```ts
   * source.storedName("model.norm.weight"); // "language_model.model.norm.weight" in a Gemma 3 4B checkpoint
   * ```
   */
  storedName(name: string): string {
    if (this.weights.tensors.has(name)) return name;
    for (const [from, to] of this.options.tensorAliases ?? []) {
      const stored = to + name.slice(from.length);
      if (name.startsWith(from) && this.weights.tensors.has(stored)) return stored;
    }
    return name;
  }

  /**
   * The quantized data of a frozen linear weight (`*_proj.weight`, `lm_head.weight`) when this source
   * quantizes and the weight was not replaced by {@link override}; undefined otherwise.
   * @param graphName - tensor name (or a stored alias)
   * @param shape - expected `[O, I]`
   * @returns external data in `folder` (the cache file, linked there)
   * @throws {@link WeightMismatchError} when the tensor is missing, has another shape, or is not a float
   * @example
   * ```ts
   * const q = source.quantized("model.layers.0.mlp.up_proj.weight", [256, 64]);
   * ```
   */
  quantized(graphName: string, shape: readonly number[]): QuantizedParamData | undefined {
    const name = this.storedName(graphName);
    const ref = this.check(name, shape);
    const bits = this.options.quantBits;
    if (!bits || this.overrides.has(name) || !isQuantizedLinear(ref)) return undefined;
    let shard = this.shards.get(ref.file);
    if (!shard) {
      const refs = [...this.weights.tensors.values()].filter((r) => r.file === ref.file);
      const note = this.options.note ?? (() => {});
      shard = quantizedShard({
        modelDir: this.weights.dir,
        source: ref.file,
        bits,
        refs,
        read: toFloat32,
        note,
      });
      this.shards.set(ref.file, shard);
    }
    const t = shard.tensors.get(name);
    if (!t) return undefined;
    const local = this.link(shard.file);
    const at = ([offset, length]: readonly [number, number]): ParamData => ({
      kind: "external",
      file: local,
      offset,
      length,
    });
    return {
      bits,
      packed: at(t.packed),
      scales: at(t.scales),
      rowValues: at(t.rowValues),
      rowScales: at(t.rowScales),
    };
  }

  /**
   * The parameter data of a float weight, checked against the shape the configuration implies.
   * @param graphName - tensor name, e.g. `model.layers.0.self_attn.q_proj.weight` (or a stored alias)
   * @param shape - expected shape
   * @returns external data in `folder`
   * @throws {@link WeightMismatchError} when the tensor is missing, has another shape, or is not a float
   * @example
   * ```ts
   * const data = source.data("model.norm.weight", [64]);
   * ```
   */
  data(graphName: string, shape: readonly number[]): ParamData {
    const name = this.storedName(graphName);
    const ref = this.check(name, shape);
    const override = this.overrides.get(name);
    if (override) return { kind: "inline", data: override };
    let data = this.cache.get(name);
    if (!data) {
      data = ref.dtype === "F32" ? this.inPlace(ref) : this.converted(ref);
      this.cache.set(name, data);
    }
    return data;
  }

  /**
   * A weight's current values as float32 in memory (a trained value set by {@link override}, else read from
   * its file and converted), for graphs that train it.
   * @param graphName - tensor name (or a stored alias)
   * @param shape - expected shape
   * @returns a fresh copy of the values
   * @throws {@link WeightMismatchError} when the tensor is missing, has another shape, or is not a float
   * @example
   * ```ts
   * const w = source.values("model.norm.weight", [64]);
   * ```
   */
  values(graphName: string, shape: readonly number[]): Float32Array {
    const name = this.storedName(graphName);
    const ref = this.check(name, shape);
    const override = this.overrides.get(name);
    if (override) return Float32Array.from(override);
    return toFloat32(ref);
  }

  /**
   * The values the model computes with: for a frozen linear weight this source quantizes, the dequantized `Ŵ`
   * (the same quantization as the cache, recomputed), else {@link values} (a trained value, or the stored one).
   * @param graphName - tensor name (or a stored alias)
   * @param shape - expected shape
   * @returns a fresh float32 copy
   * @throws {@link WeightMismatchError} when the tensor is missing, has another shape, or is not a float
   * @example
   * ```ts
   * const w = source.computedValues("model.layers.0.mlp.up_proj.weight", [128, 64]); // Ŵ of an int4 base
   * ```
   */
  computedValues(graphName: string, shape: readonly number[]): Float32Array {
    const name = this.storedName(graphName);
    const ref = this.check(name, shape);
    const values = this.values(graphName, shape);
    const bits = this.options.quantBits;
    if (!bits || this.overrides.has(name) || !isQuantizedLinear(ref)) return values;
    return unpackWeight(packWeight(values, shape[0], shape[1], bits));
  }

  /**
   * Replaces a weight's values (after full fine-tuning): graphs built afterwards hold them inline.
   * @param graphName - tensor name (must exist, itself or through an alias)
   * @param values - float32 values of the tensor's full size
   * @throws {@link WeightMismatchError} when the tensor is missing or the size differs
   * @example
   * ```ts
   * source.override("model.norm.weight", trained);
   * ```
   */
  override(graphName: string, values: Float32Array): void {
    const name = this.storedName(graphName);
    const ref = this.weights.tensors.get(name);
    const size = ref?.shape.reduce((a, b) => a * b, 1);
    if (!ref || size !== values.length) {
      throw new WeightMismatchError({
        tensor: name,
        file: this.fileOf(name),
        dir: this.weights.dir,
        expected: `${size ?? "an existing tensor of"} values`,
        found: ref ? `${values.length} values` : "no such tensor",
      });
    }
    this.overrides.set(name, Float32Array.from(values));
  }

  /** Closes the converted-weights file (further conversions reopen it). */
  close(): void {
    if (this.convertedFd !== undefined) closeSync(this.convertedFd);
    this.convertedFd = undefined;
  }

  private fileOf(name: string): string {
    const ref = this.weights.tensors.get(name);
    if (ref) return path.relative(this.weights.dir, ref.file) || path.basename(ref.file);
    return this.weights.files.length === 1
      ? path.basename(this.weights.files[0])
      : "model.safetensors.index.json";
  }

  private check(name: string, shape: readonly number[]): TensorRef {
    const fail = (found: string, expected = `shape [${shape.join(", ")}]`) =>
      new WeightMismatchError({
        tensor: name,
        file: this.fileOf(name),
        dir: this.weights.dir,
        expected,
        found,
      });
    const ref = this.weights.tensors.get(name);
    if (!ref) throw fail("no such tensor");
    if (ref.shape.length !== shape.length || ref.shape.some((d, i) => d !== shape[i])) {
      throw fail(`shape [${ref.shape.join(", ")}]`);
    }
    if (ref.dtype !== "F32" && ref.dtype !== "F16" && ref.dtype !== "BF16") {
      throw fail(`dtype ${ref.dtype}`, "a float tensor (F32, F16 or BF16)");
    }
    return ref;
  }

  private inPlace(ref: TensorRef): ParamData {
    return { kind: "external", file: this.link(ref.file), offset: ref.dataOffset, length: ref.byteLength };
  }

  /** `file` hard-linked (or copied) into `folder`, once. */
  private link(file: string): string {
    let local = this.linked.get(file);
    if (!local) {
      local = path.join(this.folder, `w${this.linked.size}-${path.basename(file)}`);
      try {
        linkSync(file, local);
      } catch {
        copyFileSync(file, local); // another file system, or links not allowed
      }
      this.linked.set(file, local);
    }
    return local;
  }

  private converted(ref: TensorRef): ParamData {
    const values = toFloat32(ref);
    const file = path.join(this.folder, CONVERTED_FILE);
    this.convertedFd ??= openSync(file, "a");
    const offset = this.convertedBytes;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    writeSync(this.convertedFd, bytes, 0, bytes.byteLength, offset);
    this.convertedBytes += bytes.byteLength;
    return { kind: "external", file, offset, length: bytes.byteLength };
  }
}
