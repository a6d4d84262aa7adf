/**
 * The on-disk cache of quantized frozen weights: one file per safetensors file and bit width, written beside
 * the model (`<model dir>/.tunebook-quant/`, or under the system temp folder when the model folder is
 * read-only), atomically (temp file + rename). A cache whose key (format version, bits, block size, the source
 * file's name, size, modification time and header hash) differs, or whose data fails its SHA-256, is rebuilt
 * with a note, never used.
 *
 * Layout: `TBQUANT1` (8 bytes), the footer's offset (uint64 LE), 64-byte-aligned tensor data, a JSON footer.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { type PackedWeight, packWeight, QUANT_BLOCK, type QuantBits } from "../../engine";
import type { TensorRef } from "../safetensors";

/** Bumped whenever the quantization or the file layout changes: older caches are rebuilt. */
export const QUANT_CACHE_VERSION = 2;
const MAGIC = "TBQUANT1";

/** Byte ranges of one quantized tensor's four parts in the cache file. */
export interface CachedTensor {
  readonly rows: number;
  readonly cols: number;
  readonly packed: readonly [number, number];
  readonly scales: readonly [number, number];
  readonly rowValues: readonly [number, number];
  readonly rowScales: readonly [number, number];
}

/** An opened (valid) cache file. */
export interface QuantCacheFile {
  readonly file: string;
  readonly bits: QuantBits;
  readonly tensors: ReadonlyMap<string, CachedTensor>;
}

interface Footer {
  key: unknown;
  dataSha256: string;
  tensors: Record<string, CachedTensor>;
}

/** Whether a tensor is a frozen linear weight that gets quantized. */
export function isQuantizedLinear(ref: TensorRef): boolean {
  return ref.shape.length === 2 && (/_proj\.weight$/.test(ref.name) || ref.name === "lm_head.weight");
}

function headerHash(file: string): string {
  const fd = openSync(file, "r");
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Math.min(Number(len.readBigUInt64LE(0)), 100_000_000);
    const header = Buffer.alloc(n);
    readSync(fd, header, 0, n, 8);
    return createHash("sha256").update(header).digest("hex");
  } finally {
    closeSync(fd);
  }
}

function cacheKey(source: string, bits: QuantBits) {
  const st = statSync(source);
  return {
    version: QUANT_CACHE_VERSION,
    bits,
    block: QUANT_BLOCK,
    source: { name: path.basename(source), size: st.size, mtimeMs: st.mtimeMs, header: headerHash(source) },
  };
}

/** Where the cache of `source` lives: beside the model when that folder is writable. */
export function cachePath(modelDir: string, source: string, bits: QuantBits): string {
  const name = `${path.basename(source, ".safetensors")}.int${bits}.tbq`;
  const beside = path.join(modelDir, ".tunebook-quant");
  try {
    mkdirSync(beside, { recursive: true });
    const probe = path.join(beside, `.probe-${process.pid}`);
    closeSync(openSync(probe, "w"));
    rmSync(probe);
    return path.join(beside, name);
  } catch {
    const id = createHash("sha256").update(path.resolve(modelDir)).digest("hex").slice(0, 16);
    const dir = path.join(os.tmpdir(), "tunebook-quant", id);
    mkdirSync(dir, { recursive: true });
    return path.join(dir, name);
  }
}

/** Reads and checks a cache file; returns the reason when it cannot be used. */
function openCache(file: string, key: unknown, bits: QuantBits): QuantCacheFile | string {
  if (!existsSync(file)) return "none yet";
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(16);
    if (readSync(fd, head, 0, 16, 0) < 16 || head.toString("latin1", 0, 8) !== MAGIC)
      return "not a cache file";
    const footerAt = Number(head.readBigUInt64LE(8));
    if (footerAt < 16 || footerAt >= size) return "truncated";
    const footerBytes = Buffer.alloc(size - footerAt);
    readSync(fd, footerBytes, 0, footerBytes.length, footerAt);
    let footer: Footer;
    try {
      footer = JSON.parse(footerBytes.toString("utf8")) as Footer;
    } catch {
      return "unreadable footer";
    }
    if (JSON.stringify(footer.key) !== JSON.stringify(key))
      return "written by another version or from another file";
    if (hashRange(fd, 16, footerAt) !== footer.dataSha256) return "data checksum mismatch";
    return { file, bits, tensors: new Map(Object.entries(footer.tensors)) };
  } finally {
    closeSync(fd);
  }
}

function hashRange(fd: number, from: number, to: number): string {
  const h = createHash("sha256");
  const buf = Buffer.alloc(1 << 22);
  for (let at = from; at < to; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, to - at), at);
    if (n <= 0) break;
    h.update(buf.subarray(0, n));
    at += n;
  }
  return h.digest("hex");
}

/** Quantizes every frozen linear weight of `refs` into a fresh cache file (temp + rename). */
function buildCache(
  file: string,
  key: unknown,
  bits: QuantBits,
  refs: readonly TensorRef[],
  read: (ref: TensorRef) => Float32Array,
): QuantCacheFile {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, "w");
  const hash = createHash("sha256");
  const tensors: Record<string, CachedTensor> = {};
  let at = 16;
  const put = (bytes: Uint8Array): [number, number] => {
    const pad = (64 - (at % 64)) % 64;
    if (pad) {
      const zeros = new Uint8Array(pad);
      writeSync(fd, zeros, 0, pad, at);
      hash.update(zeros);
      at += pad;
    }
    writeSync(fd, bytes, 0, bytes.byteLength, at);
    hash.update(bytes);
    at += bytes.byteLength;
    return [at - bytes.byteLength, bytes.byteLength];
  };
  const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  try {
    for (const ref of refs) {
      const [rows, cols] = ref.shape;
      const p: PackedWeight = packWeight(read(ref), rows, cols, bits);
      tensors[ref.name] = {
        rows,
        cols,
        packed: put(p.packed),
        scales: put(u8(p.scales)),
        rowValues: put(u8(p.rowValues)),
        rowScales: put(u8(p.rowScales)),
      };
    }
    const footer = Buffer.from(
      JSON.stringify({ key, dataSha256: hash.digest("hex"), tensors } satisfies Footer),
    );
    writeSync(fd, footer, 0, footer.length, at);
    const head = Buffer.alloc(16);
    head.write(MAGIC, 0, "latin1");
    head.writeBigUInt64LE(BigInt(at), 8);
    writeSync(fd, head, 0, 16, 0);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  return { file, bits, tensors: new Map(Object.entries(tensors)) };
}

/**
 * The quantized weights of one safetensors file: the cache when it is valid, else rebuilt.
 * @param options - `modelDir`, `source` (the safetensors file), `bits`, `refs` (its tensors), `read` (float32
 *   values of a tensor), `note` (receives a line when the cache is built or rebuilt)
 * @returns the opened cache file
 * @throws Error from the file system when neither the model folder nor the temp folder can be written
 * @example
 * ```ts
 * const cache = quantizedShard({ modelDir, source, bits: 4, refs, read: readFloat32, note: console.log });
 * ```
 */
export function quantizedShard(options: {
  modelDir: string;
  source: string;
  bits: QuantBits;
  refs: readonly TensorRef[];
  read: (ref: TensorRef) => Float32Array;
  note: (line: string) => void;
}): QuantCacheFile {
  const { modelDir, source, bits } = options;
  const file = cachePath(modelDir, source, bits);
  const key = cacheKey(source, bits);
  const opened = openCache(file, key, bits);
  if (typeof opened !== "string") return opened;
  const started = Date.now();
  const built = buildCache(file, key, bits, options.refs.filter(isQuantizedLinear), options.read);
  const why = opened === "none yet" ? "" : ` (the cache was rebuilt: ${opened})`;
  options.note(
    `quantized ${built.tensors.size} linear weights of ${path.basename(source)} to int${bits} in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s → ${file}${why}`,
  );
  return built;
}
