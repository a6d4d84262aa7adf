/**
 * Splits a model's tensors into safetensors shards as transformers' `save_pretrained` does: tensors in order,
 * a new shard when the next tensor would push the current one past the limit; one file `model.safetensors`
 * when everything fits, else `model-0000k-of-0000n.safetensors` with `model.safetensors.index.json`.
 */
import { z } from "zod";

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
};

/** A shard size: bytes, or a string such as `"5GB"`, `"500MB"`, `"2GiB"`. */
export const ShardSizeSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(
      /^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)\s*$/i,
      'expected a size such as "5GB", "500MB" or "2GiB"',
    ),
]);

/**
 * Converts a shard size to bytes.
 * @param size - bytes, or a string with a unit (KB/MB/GB powers of 1000, KiB/MiB/GiB powers of 1024)
 * @returns the number of bytes
 * @example
 * ```ts
 * shardSizeBytes("5GB"); // 5000000000
 * ```
 */
export function shardSizeBytes(size: z.infer<typeof ShardSizeSchema>): number {
  if (typeof size === "number") return size;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(size);
  return Math.floor(Number(match?.[1]) * (UNITS[(match?.[2] ?? "B").toUpperCase()] ?? 1));
}

/** One planned shard: its file name and the tensor names it holds. */
export interface Shard {
  /** File name inside the model folder. */
  readonly file: string;
  /** Tensor names in write order. */
  readonly names: readonly string[];
  /** Sum of the tensors' bytes. */
  readonly bytes: number;
}

/**
 * Plans the shards.
 * @param tensors - names and byte sizes, in write order
 * @param maxBytes - the size limit per shard (a tensor larger than it gets a shard of its own)
 * @returns the shards, with Hugging Face file names
 * @example
 * ```ts
 * planShards([{ name: "a", bytes: 6 }, { name: "b", bytes: 6 }], 10).map((s) => s.file);
 * // ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
 * ```
 */
export function planShards(tensors: readonly { name: string; bytes: number }[], maxBytes: number): Shard[] {
  const groups: { names: string[]; bytes: number }[] = [];
  let current: { names: string[]; bytes: number } | undefined;
  for (const t of tensors) {
    if (!current || (current.names.length > 0 && current.bytes + t.bytes > maxBytes)) {
      current = { names: [], bytes: 0 };
      groups.push(current);
    }
    current.names.push(t.name);
    current.bytes += t.bytes;
  }
  const n = groups.length;
  const pad = (k: number) => String(k).padStart(5, "0");
  return groups.map((g, i) => ({
    file: n <= 1 ? "model.safetensors" : `model-${pad(i + 1)}-of-${pad(n)}.safetensors`,
    names: g.names,
    bytes: g.bytes,
  }));
}

/**
 * The `model.safetensors.index.json` content for shards.
 * @param shards - the planned shards
 * @returns `{ metadata: { total_size }, weight_map }`
 * @example
 * ```ts
 * shardIndex(planShards(tensors, 1e9)).weight_map["model.norm.weight"];
 * ```
 */
export function shardIndex(shards: readonly Shard[]): {
  metadata: { total_size: number };
  weight_map: Record<string, string>;
} {
  const weight_map: Record<string, string> = {};
  for (const s of shards) for (const name of s.names) weight_map[name] = s.file;
  const sorted = Object.fromEntries(
    Object.entries(weight_map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return { metadata: { total_size: shards.reduce((sum, s) => sum + s.bytes, 0) }, weight_map: sorted };
}
