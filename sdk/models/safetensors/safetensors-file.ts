import { open, realpath } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { parseOptions, SafetensorsError } from "../errors";
import { MAX_HEADER_BYTES, parseSafetensorsHeader, type TensorRef } from "./parse-header";
import { readTensor, readTensorFloat32, type Tensor } from "./read-tensor";

const OpenOptions = z.object({ path: z.string().min(1) }).strict();

/** Options of {@link SafetensorsFile.open}. */
export type OpenSafetensorsOptions = z.input<typeof OpenOptions>;

/**
 * One `.safetensors` file, its header validated: tensors are located (see {@link TensorRef}) but only read
 * on demand.
 *
 * @example
 * ```ts
 * const file = await SafetensorsFile.open({ path: "model.safetensors" });
 * console.log(file.names(), file.ref("lm_head.weight").shape);
 * const w = await file.readFloat32("lm_head.weight");
 * ```
 */
export class SafetensorsFile {
  /** Absolute path of the file. */
  readonly file: string;
  /** The `__metadata__` map (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every tensor, in file order. */
  readonly tensors: readonly TensorRef[];
  private readonly byName: ReadonlyMap<string, TensorRef>;

  private constructor(
    file: string,
    metadata: Readonly<Record<string, string>>,
    tensors: readonly TensorRef[],
  ) {
    this.file = file;
    this.metadata = metadata;
    this.tensors = tensors;
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  /**
   * Opens a file and validates its header (length, JSON, dtypes, shapes, offsets, overlaps).
   * @param options - `path` of the file
   * @returns the opened file
   * @throws {@link SafetensorsError} when the file is missing, truncated or inconsistent
   * @throws {@link ConfigError} when options are invalid
   * @example
   * ```ts
   * const file = await SafetensorsFile.open({ path: "adapter_model.safetensors" });
   * ```
   */
  static async open(options: OpenSafetensorsOptions): Promise<SafetensorsFile> {
    const opts = parseOptions(OpenOptions, options, "SafetensorsFile.open options");
    let file = path.resolve(opts.path);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      // Snapshot files of the Hugging Face cache are symlinks into blobs/: refer to the real file.
      file = await realpath(file);
      handle = await open(file, "r");
    } catch (cause) {
      throw new SafetensorsError(
        {
          file,
          problem: `cannot open it (${(cause as NodeJS.ErrnoException).code ?? cause})`,
          fix: "Check the path.",
        },
        { cause },
      );
    }
    try {
      const { size } = await handle.stat();
      const prefix = Buffer.alloc(8);
      const { bytesRead } = await handle.read(prefix, 0, 8, 0);
      if (bytesRead < 8)
        throw new SafetensorsError({
          file,
          problem: `only ${size} bytes, shorter than the 8-byte header length`,
        });
      const n = prefix.readBigUInt64LE(0);
      if (n > BigInt(Math.min(size - 8, MAX_HEADER_BYTES))) {
        throw new SafetensorsError({
          file,
          problem: `header length ${n} exceeds the ${size - 8} bytes after the length prefix (limit ${MAX_HEADER_BYTES})`,
        });
      }
      const headerBytes = Buffer.alloc(Number(n));
      await handle.read(headerBytes, 0, headerBytes.length, 8);
      const header = parseSafetensorsHeader({ file, headerBytes, fileSize: size });
      return new SafetensorsFile(file, header.metadata, header.tensors);
    } finally {
      await handle.close();
    }
  }

  /**
   * Names of every tensor, in file order.
   * @returns the names
   * @example
   * ```ts
   * file.names(); // ["lm_head.weight", ...]
   * ```
   */
  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  /**
   * Whether the file holds a tensor.
   * @param name - tensor name
   * @returns true when present
   * @example
   * ```ts
   * file.has("lm_head.weight");
   * ```
   */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * The location of a tensor, without reading it.
   * @param name - tensor name
   * @returns its reference
   * @throws {@link SafetensorsError} if the file has no such tensor
   * @example
   * ```ts
   * const { file, dataOffset, byteLength } = st.ref("model.norm.weight");
   * ```
   */
  ref(name: string): TensorRef {
    const ref = this.byName.get(name);
    if (ref) return ref;
    const some = this.names().slice(0, 5).join(", ");
    throw new SafetensorsError({
      file: this.file,
      tensor: name,
      problem: `no such tensor (the file has ${this.tensors.length}: ${some}${this.tensors.length > 5 ? ", …" : ""})`,
      fix: "Check the tensor name.",
    });
  }

  /**
   * Reads a tensor into memory (F16/BF16 converted to float32).
   * @param name - tensor name
   * @returns the tensor
   * @throws {@link SafetensorsError} if absent or the file is short
   * @example
   * ```ts
   * const { data, shape } = await st.read("model.norm.weight");
   * ```
   */
  async read(name: string): Promise<Tensor> {
    return readTensor(this.ref(name));
  }

  /**
   * Reads a float tensor (F32/F16/BF16) as float32.
   * @param name - tensor name
   * @returns the values
   * @throws {@link SafetensorsError} if absent, not a float dtype, or the file is short
   * @example
   * ```ts
   * const w = await st.readFloat32("model.norm.weight");
   * ```
   */
  async readFloat32(name: string): Promise<Float32Array> {
    return readTensorFloat32(this.ref(name));
  }
}
