/**
 * Preference pairs as a problem type's data: the chosen and the rejected tokenized examples of each pair, in the
 * same order, batched together. A batch of P pairs has 2P rows, the P chosen answers first and then their P
 * rejected answers, padded to the longest of them; its feeds say which row is which (see `pairFeeds`).
 */
import { buildBatch, DatasetError, mixSeeds, seededPermutation, type TokenizedDataset } from "../../data";
import { pairFeeds } from "../preference";
import type { ProblemData } from "../trainer";

/**
 * Checks that two tokenized datasets are the chosen and rejected sides of the same pairs, and that no pair's
 * two sides are the same.
 * @param chosen - the chosen answers' examples
 * @param rejected - the rejected answers' examples
 * @throws DatasetError naming the row whose chosen and rejected answers are equal, or where the sides disagree
 */
function checkPairs(chosen: TokenizedDataset, rejected: TokenizedDataset): void {
  if (chosen.length !== rejected.length) {
    throw new DatasetError(
      `found ${chosen.length} chosen and ${rejected.length} rejected examples; every row needs both answers`,
      { source: chosen.source },
    );
  }
  chosen.examples.forEach((c, i) => {
    const r = rejected.examples[i];
    if (c.row !== r.row) {
      throw new DatasetError(`the chosen and rejected examples do not line up (rows ${c.row} and ${r.row})`, {
        source: chosen.source,
      });
    }
    const same = c.ids.length === r.ids.length && c.ids.every((id, k) => id === r.ids[k]);
    if (same) {
      throw new DatasetError(
        "the chosen and the rejected answer are the same (after formatting and truncation to max_length); " +
          "a preference pair needs two different answers: fix or drop this row",
        { source: chosen.source, row: c.row },
      );
    }
  });
}

/**
 * Wraps the two sides of preference pairs as {@link ProblemData}.
 * @param chosen - tokenized prompt + chosen answer per row
 * @param rejected - tokenized prompt (or rejected prompt) + rejected answer per row, in the same order
 * @returns the data, batched as pairs (`numTargetTokens` of a batch is its number of pairs: the loss is a
 *   mean over pairs)
 * @throws DatasetError when the sides do not line up or a pair's answers are equal
 * @example
 * ```ts
 * const train = pairBatches(chosenTokens, rejectedTokens);
 * for (const b of train.batches({ batchSize: 2, seed: 1 })) await step.step(b.feeds(7), { lr });
 * ```
 */
export function pairBatches(chosen: TokenizedDataset, rejected: TokenizedDataset): ProblemData {
  checkPairs(chosen, rejected);
  const n = chosen.length;
  return {
    tokens: chosen,
    length: n,
    batches(o) {
      if (n < o.batchSize) {
        throw new DatasetError(
          `expected at least one full batch of ${o.batchSize} pairs, found ${n}; lower batch_size or add data`,
          { source: chosen.source },
        );
      }
      const order =
        o.shuffle === false
          ? Uint32Array.from(chosen.examples.keys())
          : seededPermutation(n, mixSeeds(o.seed ?? 0, o.epoch ?? 0));
      const numBatches = Math.ceil(n / o.batchSize);
      return {
        numBatches,
        *[Symbol.iterator]() {
          for (let b = o.startBatch ?? 0; b < numBatches; b++) {
            const pairs = [...order.subarray(b * o.batchSize, (b + 1) * o.batchSize)];
            const rows = [
              ...pairs.map((i) => [chosen.examples[i]]),
              ...pairs.map((i) => [rejected.examples[i]]),
            ];
            const seqLen = Math.max(...rows.map(([ex]) => ex.ids.length));
            const batch = buildBatch(rows, {
              seqLen,
              padTokenId: chosen.padTokenId,
              packed: false,
              epoch: o.epoch ?? 0,
              index: b,
            });
            yield {
              index: b,
              numTokens: batch.numTokens,
              numTargetTokens: pairs.length,
              feeds: (dropoutSeed: number) => pairFeeds(batch, dropoutSeed),
            };
          }
        },
      };
    },
  };
}
