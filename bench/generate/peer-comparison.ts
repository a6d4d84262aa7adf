/**
 * The peer comparison of `bench:generate`: the same model, exported as a transformers.js folder, generates greedily
 * from the same prompts with the same N new tokens in transformers.js and in ours; the token ids are compared and
 * prefill/decode tokens/s printed side by side with the ratio ours/peer. Dimension letters: B batch, T prompt
 * length, N new tokens.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Backbone } from "../../sdk/models";
import { cachedSession } from "../../sdk/models";
import { writeTransformersJsFolder } from "../../sdk/models/export";
import { loadPeer, type Peer, rates, type TimedGeneration, timeOurs } from "./timed-generation";

/** Options of {@link comparePeer}. */
export interface PeerComparisonOptions {
  /** The loaded model. */
  readonly backbone: Backbone;
  /** The Hugging Face directory it was loaded from. */
  readonly modelDir: string;
  /** T. */
  readonly prompt: number;
  /** N. */
  readonly newTokens: number;
  /** Batch sizes to run. */
  readonly batches: readonly number[];
  /** onnxruntime intra-op threads for both sides (default: onnxruntime's). */
  readonly threads?: number;
  /** Timed runs per side and batch size, alternating ours and peer; the fastest of each is reported. */
  readonly rounds: number;
}

/** The prompts of a batch: B rows of T pseudo-random ids below `vocab`, all the same length. */
export function benchPrompts(batch: number, prompt: number, vocab: number): number[][] {
  const top = Math.min(500, vocab);
  return Array.from({ length: batch }, (_, b) =>
    Array.from({ length: prompt }, (_, t) => (b * 7 + t * 13) % top),
  );
}

/** Describes where two id tables first differ, or says they are identical. */
export function compareIds(ours: number[][], peer: number[][]): string {
  const rows = ours.length;
  const width = ours[0]?.length ?? 0;
  let same = 0;
  let first = "";
  for (let b = 0; b < rows; b++) {
    const n = ours[b].findIndex((v, i) => v !== peer[b]?.[i]);
    if (n < 0 && peer[b]?.length === ours[b].length) same++;
    else if (!first) first = `row ${b} token ${n}: ours ${ours[b][n]} vs peer ${peer[b]?.[n]}`;
  }
  return same === rows
    ? `identical (${rows}×${width})`
    : `DIFFER in ${rows - same}/${rows} rows; first: ${first}`;
}

function row(
  batch: number,
  prompt: number,
  ours: TimedGeneration,
  peer: TimedGeneration,
  ids: string,
): string {
  const o = rates(ours, prompt);
  const p = rates(peer, prompt);
  const cells = [
    `${batch}`,
    o.prefillTps.toFixed(0),
    p.prefillTps.toFixed(0),
    `${(o.prefillTps / p.prefillTps).toFixed(2)}×`,
    o.decodeTps.toFixed(1),
    p.decodeTps.toFixed(1),
    `${(o.decodeTps / p.decodeTps).toFixed(2)}×`,
    ids,
  ];
  return `| ${cells.join(" | ")} |`;
}

/** The run with the shortest prefill and the one with the shortest decode, combined (ids from the first). */
function fastest(runs: readonly TimedGeneration[]): TimedGeneration {
  const prefill = Math.min(...runs.map((r) => r.prefill));
  const decode = Math.min(...runs.map((r) => r.total - r.prefill));
  return { ids: runs[0].ids, prefill, total: prefill + decode };
}

async function loadOrExplain(folder: string, threads?: number): Promise<Peer | string> {
  try {
    require.resolve("@huggingface/transformers");
  } catch {
    return "not run: @huggingface/transformers is not installed (npm install --save-dev @huggingface/transformers)";
  }
  try {
    return await loadPeer(folder, threads);
  } catch (e) {
    return `not run: transformers.js could not load ${folder}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * Runs the peer comparison and prints its table (markdown) to stdout.
 * @param options - the backbone and its directory, T, N, batch sizes, threads, rounds
 * @returns when printed (a peer that cannot load is reported, not thrown)
 * @throws Error when our own generation fails
 * @example
 * ```ts
 * await comparePeer({ backbone, modelDir: dir, prompt: 128, newTokens: 32, batches: [1, 8], rounds: 3 });
 * ```
 */
export async function comparePeer(options: PeerComparisonOptions): Promise<void> {
  const { backbone, modelDir, prompt, newTokens, batches, threads, rounds } = options;
  await cachedSession(backbone);
  const out = mkdtempSync(path.join(os.tmpdir(), "tunebook-peer-"));
  try {
    const onnxPath = path.join(backbone.folder, `generate-r${backbone.revision}.onnx`);
    const { folder, data } = writeTransformersJsFolder({ modelDir, onnxPath, out: path.join(out, "model") });
    const peer = await loadOrExplain(folder, threads);
    if (typeof peer === "string") {
      console.log(`  peer (transformers.js): ${peer}`);
      return;
    }
    console.log(
      `  peer (transformers.js) loaded ${folder} (onnx/model.onnx, weights ${data} as model.onnx_data)`,
    );
    console.log(
      "  | batch | prefill ours | prefill peer | ours/peer | decode ours | decode peer | ours/peer | token ids |",
    );
    console.log("  |---|---|---|---|---|---|---|---|");
    for (const batch of batches) {
      const prompts = benchPrompts(batch, prompt, backbone.config.vocabSize);
      await timeOurs(backbone, prompts, 4); // warm-up: plans this batch size
      await peer.generate(prompts, 4);
      const ours: TimedGeneration[] = [];
      const theirs: TimedGeneration[] = [];
      for (let r = 0; r < rounds; r++) {
        ours.push(await timeOurs(backbone, prompts, newTokens));
        theirs.push(await peer.generate(prompts, newTokens));
      }
      const [o, p] = [fastest(ours), fastest(theirs)];
      console.log(`  ${row(batch, prompt, o, p, compareIds(o.ids, p.ids))}`);
    }
    await peer.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
