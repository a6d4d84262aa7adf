import { SafetensorsError } from "../errors";
import { DTYPE_SIZES, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from "./dtypes";

/**
 * A tensor inside a safetensors file, located but not read: the engine can point ONNX external data at
 * `file` + `dataOffset` + `byteLength` without copying the bytes into the JS heap.
 */
export interface TensorRef {
  /** Tensor name as stored, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  readonly name: string;
  /** Stored dtype. */
  readonly dtype: SafetensorsDtype;
  /** Shape; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Absolute path of the file holding the bytes (symlinks resolved, e.g. the blob behind a hub cache snapshot). */
  readonly file: string;
  /** Absolute byte offset of the first element in `file` (8 + header length + the header's begin offset). */
  readonly dataOffset: number;
  /** Number of bytes (elements × dtype size); little-endian. */
  readonly byteLength: number;
}

/** The parsed header of a safetensors file. */
export interface SafetensorsHeader {
  /** The `__metadata__` string map (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every tensor, in order of its offset in the file. */
  readonly tensors: readonly TensorRef[];
  /** Header length in bytes (the 8-byte prefix not included). */
  readonly headerLength: number;
}

/** Largest header accepted, as in the Python library (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses and validates a safetensors header: JSON well-formed, known dtypes, shape × dtype size equal to
 * each tensor's byte span, offsets inside the data section, no two tensors overlapping.
 *
 * @param options - `file` (absolute path, used in errors and refs), `headerBytes` (the JSON bytes after the
 * 8-byte length) and `fileSize` (total bytes of the file)
 * @returns the metadata and tensor references
 * @throws {@link SafetensorsError} naming the file and the tensor at fault
 * @example
 * ```ts
 * const json = Buffer.from('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
 * parseSafetensorsHeader({ file: "/tmp/x.safetensors", headerBytes: json, fileSize: 8 + json.length + 8 });
 * ```
 */
export function parseSafetensorsHeader(options: {
  file: string;
  headerBytes: Uint8Array;
  fileSize: number;
}): SafetensorsHeader {
  const { file, headerBytes, fileSize } = options;
  const json = parseJson(file, headerBytes);
  const dataStart = 8 + headerBytes.length;
  const dataSize = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: TensorRef[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === "__metadata__") metadata = parseMetadata(file, entry);
    else tensors.push(parseEntry({ file, name, entry, dataStart, dataSize }));
  }
  tensors.sort((a, b) => a.dataOffset - b.dataOffset || a.byteLength - b.byteLength);
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1];
    const cur = tensors[i];
    if (cur.dataOffset < prev.dataOffset + prev.byteLength) {
      throw new SafetensorsError({
        file,
        tensor: cur.name,
        problem: `its bytes overlap those of "${prev.name}" (data_offsets ${span(cur, dataStart)} vs ${span(prev, dataStart)})`,
      });
    }
  }
  return { metadata, tensors, headerLength: headerBytes.length };
}

function span(t: TensorRef, dataStart: number): string {
  return `[${t.dataOffset - dataStart}, ${t.dataOffset - dataStart + t.byteLength}]`;
}

function parseJson(file: string, bytes: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch (cause) {
    throw new SafetensorsError(
      { file, problem: `the header is not valid JSON (${(cause as Error).message})` },
      { cause },
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SafetensorsError({ file, problem: "the header must be a JSON object of tensor entries" });
  }
  return json as Record<string, unknown>;
}

function parseMetadata(file: string, entry: unknown): Record<string, string> {
  const ok =
    typeof entry === "object" &&
    entry !== null &&
    !Array.isArray(entry) &&
    Object.values(entry).every((v) => typeof v === "string");
  if (!ok) throw new SafetensorsError({ file, problem: "__metadata__ must be an object of string values" });
  return { ...(entry as Record<string, string>) };
}

function isIndex(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(args: {
  file: string;
  name: string;
  entry: unknown;
  dataStart: number;
  dataSize: number;
}): TensorRef {
  const { file, name, entry, dataStart, dataSize } = args;
  const fail = (problem: string) => new SafetensorsError({ file, tensor: name, problem });
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw fail("the header entry must be an object with dtype, shape and data_offsets");
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    throw fail(`unsupported dtype ${JSON.stringify(dtype)}; supported: ${SAFETENSORS_DTYPES.join(", ")}`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw fail(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    throw fail(`data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const needed = shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_SIZES[dtype];
  if (needed !== end - begin) {
    throw fail(
      `shape [${shape.join(", ")}] × ${dtype} needs ${needed} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  if (end > dataSize) {
    throw fail(
      `data_offsets [${begin}, ${end}] run past the end of the data section (${dataSize} bytes): the file is truncated`,
    );
  }
  return { name, dtype, shape: [...shape], file, dataOffset: dataStart + begin, byteLength: end - begin };
}
