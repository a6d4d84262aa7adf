import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../../errors";
import { parseOptions } from "../errors";
import {
  DTYPE_SIZES,
  float32ToBfloat16,
  float32ToFloat16,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
} from "./dtypes";

/** Values accepted by the writer. Float32Array may be written as F32, F16 or BF16 (rounded to nearest even). */
export type WritableValues = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** One tensor to write. */
export interface WritableTensor {
  /**
   * Dtype to store. Defaults from `data`: Float32Array → F32, BigInt64Array → I64, Int32Array → I32,
   * Uint8Array → U8. A Uint16Array (raw F16/BF16 bits) needs an explicit `F16` or `BF16`.
   */
  dtype?: SafetensorsDtype;
  /** Shape; the product must equal the number of elements. */
  shape: readonly number[];
  /** Values, row-major. */
  data: WritableValues;
}

const Options = z
  .object({
    path: z.string().min(1),
    tensors: z.record(
      z.object({
        dtype: z.enum(SAFETENSORS_DTYPES as [SafetensorsDtype, ...SafetensorsDtype[]]).optional(),
        shape: z.array(z.number().int().nonnegative()),
        data: z.custom<WritableValues>(
          (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
          "a typed array",
        ),
      }),
    ),
    metadata: z.record(z.string()).optional(),
  })
  .strict();

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** Destination file; its folder is created if needed. */
  path: string;
  /** Tensors by name. */
  tensors: Record<string, WritableTensor>;
  /** Optional `__metadata__` string map (e.g. `{ format: "pt" }`). */
  metadata?: Record<string, string>;
}

interface Encoded {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  bytes: Uint8Array;
}

/**
 * Encodes tensors as the bytes of a `.safetensors` file, laid out as the Python library does: tensors
 * ordered by dtype size (largest first) then name, header padded with spaces to a multiple of 8 bytes.
 * @param tensors - tensors by name
 * @param metadata - optional `__metadata__` string map
 * @returns the file's bytes
 * @throws {@link ConfigError} for an unknown dtype/data pairing or a shape that does not match the data
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ w: { shape: [2], data: Float32Array.of(1, 2) } });
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, WritableTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const encoded = Object.entries(tensors)
    .map(([name, t]) => encodeTensor(name, t))
    .sort(
      (a, b) =>
        DTYPE_SIZES[b.dtype] - DTYPE_SIZES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of encoded) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, ...encoded.map((t) => t.bytes)]);
}

/**
 * Writes tensors to a `.safetensors` file atomically (temp file in the same folder, then rename), encoded by
 * {@link encodeSafetensors}.
 *
 * @param options - `path`, `tensors` by name, optional `metadata`
 * @returns the absolute path written
 * @throws {@link ConfigError} for invalid options, an unknown dtype/data pairing, or a shape that does not match the data
 * @example
 * ```ts
 * await writeSafetensors({
 *   path: "/tmp/adapter_model.safetensors",
 *   tensors: { "w": { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } },
 *   metadata: { format: "pt" },
 * });
 * ```
 */
export async function writeSafetensors(options: WriteSafetensorsOptions): Promise<string> {
  const opts = parseOptions(Options, options, "writeSafetensors options");
  const file = path.resolve(opts.path);
  const bytes = encodeSafetensors(opts.tensors, opts.metadata);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const handle = await open(tmp, "w");
  try {
    await handle.write(bytes);
    await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  return file;
}

function defaultDtype(data: WritableValues): SafetensorsDtype | undefined {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof BigInt64Array) return "I64";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Uint8Array) return "U8";
  return undefined;
}

function asBytes(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function encodeValues(dtype: SafetensorsDtype, data: WritableValues): Uint8Array | undefined {
  if (dtype === "F32" && data instanceof Float32Array) return asBytes(data);
  if (dtype === "F16" && data instanceof Float32Array) return asBytes(float32ToFloat16(data));
  if (dtype === "BF16" && data instanceof Float32Array) return asBytes(float32ToBfloat16(data));
  if ((dtype === "F16" || dtype === "BF16") && data instanceof Uint16Array) return asBytes(data);
  if (dtype === "I64" && data instanceof BigInt64Array) return asBytes(data);
  if (dtype === "I32" && data instanceof Int32Array) return asBytes(data);
  if ((dtype === "U8" || dtype === "BOOL") && data instanceof Uint8Array) return asBytes(data);
  return undefined;
}

function encodeTensor(name: string, t: WritableTensor): Encoded {
  const issue = (message: string) =>
    new ConfigError([{ path: ["tensors", name], message }], { source: "writeSafetensors options" });
  const dtype = t.dtype ?? defaultDtype(t.data);
  if (!dtype)
    throw issue(`${t.data.constructor.name} data needs an explicit dtype (F16 or BF16 bit patterns)`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) {
    throw issue(`shape [${t.shape.join(", ")}] has ${count} elements but data has ${t.data.length}`);
  }
  const bytes = encodeValues(dtype, t.data);
  if (!bytes) throw issue(`cannot store ${t.data.constructor.name} as ${dtype}`);
  return { name, dtype, shape: [...t.shape], bytes };
}
