// A small, independent safetensors reader (F32, F16, BF16, F64 → Float64Array) and F32 writer for tests.
import { readFileSync, writeFileSync } from "node:fs";

/** One tensor read back: dtype as stored, shape, values widened to float64, and its byte range. */
export interface StoredTensor {
  dtype: string;
  shape: number[];
  values: Float64Array;
  dataOffsets: [number, number];
}

/** A parsed safetensors file. */
export interface StoredFile {
  headerLength: number;
  metadata: Record<string, string> | undefined;
  tensors: Record<string, StoredTensor>;
}

function decode(dtype: string, bytes: Buffer): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = { F32: 4, F16: 2, BF16: 2, F64: 8 }[dtype];
  if (!size) throw new Error(`unsupported safetensors dtype ${dtype}; expected F32, F16, BF16 or F64`);
  const out = new Float64Array(bytes.byteLength / size);
  const f32 = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < out.length; i++) {
    if (dtype === "F32") out[i] = view.getFloat32(i * 4, true);
    else if (dtype === "F64") out[i] = view.getFloat64(i * 8, true);
    else if (dtype === "BF16") {
      f32.setUint32(0, view.getUint16(i * 2, true) << 16);
      out[i] = f32.getFloat32(0);
    } else out[i] = halfToNumber(view.getUint16(i * 2, true));
  }
  return out;
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Reads a whole safetensors file (8-byte LE header length, JSON header, raw data).
 * @param file - path of the `.safetensors` file
 * @returns header length, metadata and every tensor as float64
 * @throws Error on an unsupported dtype
 * @example
 * ```ts
 * const { tensors } = readSafetensors(`${dir}/model.safetensors`);
 * console.log(tensors["model.norm.weight"].shape);
 * ```
 */
export function readSafetensors(file: string): StoredFile {
  const raw = readFileSync(file);
  const headerLength = Number(raw.readBigUInt64LE(0));
  const header = JSON.parse(raw.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
  const data = raw.subarray(8 + headerLength);
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const t = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const bytes = data.subarray(t.data_offsets[0], t.data_offsets[1]);
    tensors[name] = {
      dtype: t.dtype,
      shape: t.shape,
      values: decode(t.dtype, bytes),
      dataOffsets: t.data_offsets,
    };
  }
  return { headerLength, metadata: header.__metadata__ as Record<string, string> | undefined, tensors };
}

/**
 * Writes float32 tensors as a safetensors file (8-byte LE header length, space-padded JSON header, packed data).
 * @param file - destination path
 * @param tensors - name → { shape, values }; values are stored as F32
 * @returns nothing
 * @throws Error when a tensor's value count does not match its shape
 * @example
 * ```ts
 * writeSafetensorsF32("/tmp/x.safetensors", { w: { shape: [2], values: new Float64Array([1, 2]) } });
 * ```
 */
export function writeSafetensorsF32(
  file: string,
  tensors: Record<string, { shape: number[]; values: ArrayLike<number> }>,
): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const { shape, values } = tensors[name];
    if (shape.reduce((a, b) => a * b, 1) !== values.length) {
      throw new Error(
        `${name}: shape [${shape}] needs ${shape.reduce((a, b) => a * b, 1)} values, got ${values.length}`,
      );
    }
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + 4 * values.length] };
    offset += 4 * values.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const out = Buffer.alloc(8 + Buffer.byteLength(json) + offset);
  out.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);
  out.write(json, 8, "utf8");
  let at = 8 + Buffer.byteLength(json);
  for (const name of names) {
    for (const v of Array.from(tensors[name].values)) {
      out.writeFloatLE(v, at);
      at += 4;
    }
  }
  writeFileSync(file, out);
}
