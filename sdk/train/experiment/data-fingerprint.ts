/**
 * A fingerprint of a run's training data: SHA-256 over its tokenized examples (ids and learned-token masks, in
 * order). Recorded in each checkpoint, it lets a resume tell whether the data it reads now is the data the run
 * trained on, whatever changed: the file's contents, the file a relative path finds, the sampling or the
 * tokenization.
 */
import { createHash } from "node:crypto";
import type { TokenizedDataset } from "../../data";

/**
 * The fingerprint of tokenized training data.
 * @param data - the tokenized training examples
 * @returns `sha256:<hex>`
 * @example
 * ```ts
 * dataFingerprint(prepared.train); // "sha256:9f86d0…"
 * ```
 */
export function dataFingerprint(data: TokenizedDataset): string {
  const hash = createHash("sha256");
  const header = new Uint32Array(2);
  for (const ex of data.examples) {
    header[0] = ex.ids.length;
    header[1] = ex.target.length;
    hash.update(new Uint8Array(header.buffer));
    hash.update(new Uint8Array(ex.ids.buffer, ex.ids.byteOffset, ex.ids.byteLength));
    hash.update(ex.target);
  }
  return `sha256:${hash.digest("hex")}`;
}
