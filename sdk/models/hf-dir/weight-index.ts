import { access } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ModelDirError, parseOptions } from "../errors";
import { readTensor, readTensorFloat32, SafetensorsFile, type Tensor, type TensorRef } from "../safetensors";
import { readJsonFile } from "../tokenizer";

const Options = z.object({ dir: z.string().min(1) }).strict();

/** Options of {@link WeightIndex.open}. */
export type OpenWeightIndexOptions = z.input<typeof Options>;

const SINGLE = "model.safetensors";
const INDEX = "model.safetensors.index.json";
const CONVERT_FIX =
  "tunebook reads only safetensors weights. Convert once in Python: " +
  "`AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`, " +
  "or download the repository's .safetensors files.";

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The weights of a model directory: every tensor of `model.safetensors`, or of the shards listed in
 * `model.safetensors.index.json`, located but not read.
 *
 * @example
 * ```ts
 * const weights = await WeightIndex.open({ dir: "models/tiny" });
 * const ref = weights.ref("model.embed_tokens.weight"); // { file, dataOffset, byteLength, dtype, shape }
 * ```
 */
export class WeightIndex {
  /** The model directory (absolute). */
  readonly dir: string;
  /** The safetensors files, absolute paths, in index order. */
  readonly files: readonly string[];
  /** Every tensor by name. */
  readonly tensors: ReadonlyMap<string, TensorRef>;

  private constructor(dir: string, files: string[], tensors: Map<string, TensorRef>) {
    this.dir = dir;
    this.files = files;
    this.tensors = tensors;
  }

  /**
   * Opens the weights of a model directory and validates them: each shard exists and is a valid safetensors
   * file, and each tensor the index lists is in its shard.
   * @param options - `dir`
   * @returns the index
   * @throws {@link ModelDirError} when there are no safetensors weights (or only `.bin`), or the index is inconsistent
   * @throws {@link SafetensorsError} when a file is damaged
   * @example
   * ```ts
   * const weights = await WeightIndex.open({ dir: "models/tiny" });
   * ```
   */
  static async open(options: OpenWeightIndexOptions): Promise<WeightIndex> {
    const dir = path.resolve(parseOptions(Options, options, "WeightIndex.open options").dir);
    if (await exists(path.join(dir, INDEX))) return WeightIndex.openSharded(dir);
    if (await exists(path.join(dir, SINGLE))) {
      const file = await SafetensorsFile.open({ path: path.join(dir, SINGLE) });
      return new WeightIndex(dir, [file.file], new Map(file.tensors.map((t) => [t.name, t])));
    }
    const bin = ["pytorch_model.bin", "pytorch_model.bin.index.json"];
    const found = (await Promise.all(bin.map((f) => exists(path.join(dir, f))))).some(Boolean);
    throw new ModelDirError({
      dir,
      file: found ? "pytorch_model.bin" : SINGLE,
      problem: found ? "PyTorch .bin weights are not supported" : `no ${SINGLE} or ${INDEX} found`,
      fix: CONVERT_FIX,
    });
  }

  private static async openSharded(dir: string): Promise<WeightIndex> {
    const index = await readJsonFile(dir, INDEX, true);
    const map = index?.weight_map;
    if (typeof map !== "object" || map === null || Array.isArray(map)) {
      throw new ModelDirError({
        dir,
        file: INDEX,
        problem: "no weight_map object",
        fix: "Download the index file again.",
      });
    }
    const byFile = new Map<string, string[]>();
    for (const [tensor, file] of Object.entries(map as Record<string, unknown>)) {
      if (typeof file !== "string" || file.includes("..") || path.isAbsolute(file)) {
        throw new ModelDirError({
          dir,
          file: INDEX,
          problem: `weight_map["${tensor}"] is not a file name in the directory`,
          fix: "Download the index file again.",
        });
      }
      byFile.set(file, [...(byFile.get(file) ?? []), tensor]);
    }
    const tensors = new Map<string, TensorRef>();
    const files: string[] = [];
    for (const [shard, names] of byFile) {
      if (!(await exists(path.join(dir, shard)))) {
        throw new ModelDirError({
          dir,
          file: shard,
          problem: `listed in ${INDEX} (for ${names.length} tensors, e.g. "${names[0]}") but not found`,
          fix: "Download the missing shard (resolveModel downloads every shard).",
        });
      }
      const st = await SafetensorsFile.open({ path: path.join(dir, shard) });
      files.push(st.file);
      for (const name of names) {
        if (!st.has(name)) {
          throw new ModelDirError({
            dir,
            file: shard,
            problem: `${INDEX} says it holds tensor "${name}", but it does not`,
            fix: "The shards and the index do not match: download them again from the same revision.",
          });
        }
        tensors.set(name, st.ref(name));
      }
    }
    return new WeightIndex(dir, files, tensors);
  }

  /**
   * Tensor names, sorted.
   * @returns the names
   * @example
   * ```ts
   * weights.names().filter((n) => n.endsWith("q_proj.weight"));
   * ```
   */
  names(): string[] {
    return [...this.tensors.keys()].sort();
  }

  /**
   * Whether a tensor exists.
   * @param name - tensor name
   * @returns true when present
   * @example
   * ```ts
   * weights.has("lm_head.weight"); // false for tied embeddings
   * ```
   */
  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /**
   * Locates a tensor without reading it.
   * @param name - tensor name
   * @returns its reference (file, absolute offset, byte length, dtype, shape)
   * @throws {@link ModelDirError} when absent
   * @example
   * ```ts
   * weights.ref("model.norm.weight").shape;
   * ```
   */
  ref(name: string): TensorRef {
    const ref = this.tensors.get(name);
    if (ref) return ref;
    throw new ModelDirError({
      dir: this.dir,
      file: this.files.length === 1 ? path.basename(this.files[0]) : INDEX,
      problem: `no tensor "${name}" (${this.tensors.size} tensors, e.g. ${this.names().slice(0, 3).join(", ")})`,
      fix: "Check the tensor name against weights.names().",
    });
  }

  /**
   * Reads a tensor (F16/BF16 converted to float32).
   * @param name - tensor name
   * @returns the tensor
   * @throws {@link ModelDirError} when absent
   * @example
   * ```ts
   * const { data, shape } = await weights.read("model.norm.weight");
   * ```
   */
  async read(name: string): Promise<Tensor> {
    return readTensor(this.ref(name));
  }

  /**
   * Reads a float tensor as float32.
   * @param name - tensor name
   * @returns the values
   * @throws {@link ModelDirError} when absent; {@link SafetensorsError} when not a float dtype
   * @example
   * ```ts
   * const w = await weights.readFloat32("model.embed_tokens.weight");
   * ```
   */
  async readFloat32(name: string): Promise<Float32Array> {
    return readTensorFloat32(this.ref(name));
  }
}
