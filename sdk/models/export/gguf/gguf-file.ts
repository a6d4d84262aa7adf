/**
 * The GGUF container (version 3, little-endian) as llama.cpp reads it: the magic `GGUF`, the version, the tensor
 * and metadata counts, the metadata key–value pairs, one info record per tensor (name, dimensions innermost
 * first, ggml type, offset into the data section), padding to the alignment, then the tensor data, each tensor
 * starting at a multiple of the alignment. Strings are a u64 byte length followed by UTF-8 without a NUL.
 * Written from the format description in llama.cpp's `docs/gguf.md` and `ggml/include/gguf.h`.
 */
import { open } from "node:fs/promises";
import { GGML_TYPES, type GgmlTypeName, tensorBytes } from "./ggml-types";

/** GGUF metadata value types (`gguf_type`). */
const VALUE_TYPE = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

/** A scalar metadata type. */
export type GgufScalarType = "u32" | "i32" | "f32" | "bool" | "string" | "u64";

/** One metadata entry: a scalar, or an array of one scalar type. */
export type GgufMetadataValue =
  | { readonly type: "u32" | "i32" | "f32" | "u64"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "array"; readonly of: "string"; readonly value: readonly string[] }
  | { readonly type: "array"; readonly of: "i32" | "f32"; readonly value: ArrayLike<number> };

/** Ordered metadata: key → value (keys as llama.cpp names them, e.g. `llama.block_count`). */
export type GgufMetadata = ReadonlyMap<string, GgufMetadataValue>;

/** One tensor to write. */
export interface GgufTensor {
  /** llama.cpp's name, e.g. `blk.0.attn_q.weight`. */
  readonly name: string;
  /** Shape as PyTorch writes it (outermost first); GGUF stores it reversed (`ne[0]` innermost). */
  readonly shape: readonly number[];
  /** Storage type. */
  readonly type: GgmlTypeName;
  /** Computes the encoded bytes (called once, when the tensor is written). */
  readonly data: () => Uint8Array;
}

/** Default alignment of the data section and of each tensor in it (`GGUF_DEFAULT_ALIGNMENT`). */
export const GGUF_ALIGNMENT = 32;

/** A growable little-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function writeScalar(w: ByteWriter, type: GgufScalarType, value: number | boolean | string): void {
  if (type === "string") w.string(value as string);
  else if (type === "bool") w.u8(value ? 1 : 0);
  else if (type === "u32") w.u32(value as number);
  else if (type === "i32") w.i32(value as number);
  else if (type === "f32") w.f32(value as number);
  else w.u64(value as number);
}

function writeValue(w: ByteWriter, v: GgufMetadataValue): void {
  w.u32(VALUE_TYPE[v.type]);
  if (v.type !== "array") {
    writeScalar(w, v.type, v.value);
    return;
  }
  w.u32(VALUE_TYPE[v.of]);
  w.u64(v.value.length);
  for (let i = 0; i < v.value.length; i++) writeScalar(w, v.of, v.value[i]);
}

function padTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * Encodes everything before the data section: header, metadata, tensor infos, padding.
 * @param metadata - the key–value pairs, in order
 * @param tensors - the tensors, in file order
 * @returns the header bytes (a multiple of {@link GGUF_ALIGNMENT} long) and each tensor's data size
 * @example
 * ```ts
 * const { header } = encodeGgufHeader(new Map([["general.architecture", { type: "string", value: "llama" }]]), []);
 * ```
 */
export function encodeGgufHeader(
  metadata: GgufMetadata,
  tensors: readonly GgufTensor[],
): { header: Uint8Array; sizes: number[] } {
  const w = new ByteWriter();
  w.bytes(Buffer.from("GGUF", "ascii"));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.size);
  for (const [key, value] of metadata) {
    w.string(key);
    writeValue(w, value);
  }
  const sizes: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.shape.length);
    for (let i = t.shape.length - 1; i >= 0; i--) w.u64(t.shape[i]);
    w.u32(GGML_TYPES[t.type].id);
    w.u64(offset);
    const size = tensorBytes(t.type, t.shape);
    sizes.push(size);
    offset += padTo(size, GGUF_ALIGNMENT);
  }
  const end = padTo(w.length, GGUF_ALIGNMENT);
  w.bytes(new Uint8Array(end - w.length));
  return { header: w.result(), sizes };
}

/**
 * Writes a GGUF file, computing and writing one tensor at a time (peak memory ≈ the largest tensor).
 * @param file - the path to write (created or truncated)
 * @param metadata - the key–value pairs, in order
 * @param tensors - the tensors, in file order
 * @returns the file size in bytes
 * @throws Error when a tensor's encoded data does not have the size its shape and type imply
 * @example
 * ```ts
 * await writeGguf("/tmp/m.gguf", metadata, [{ name: "output_norm.weight", shape: [8], type: "f32", data: () => bytes }]);
 * ```
 */
export async function writeGguf(
  file: string,
  metadata: GgufMetadata,
  tensors: readonly GgufTensor[],
): Promise<number> {
  const { header, sizes } = encodeGgufHeader(metadata, tensors);
  const handle = await open(file, "w");
  try {
    let position = 0;
    const put = async (bytes: Uint8Array) => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
        done += bytesWritten;
      }
      position += bytes.length;
    };
    await put(header);
    for (let i = 0; i < tensors.length; i++) {
      const bytes = tensors[i].data();
      if (bytes.length !== sizes[i]) {
        throw new Error(`GGUF tensor ${tensors[i].name}: expected ${sizes[i]} bytes, got ${bytes.length}`);
      }
      await put(bytes);
      const pad = padTo(bytes.length, GGUF_ALIGNMENT) - bytes.length;
      if (pad > 0) await put(new Uint8Array(pad));
    }
    await handle.sync();
    return position;
  } finally {
    await handle.close();
  }
}
