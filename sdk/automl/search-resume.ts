/** Continuing a search whose process was killed: its record read back and checked against the options given. */
import { ConfigError } from "../errors";
import { readSearchRecord } from "./search-record";
import type { SearchTrial } from "./search-trial";

/** What a resumed search starts from. */
export interface EarlierSearch {
  readonly dir: string;
  readonly id: string;
  readonly trials: SearchTrial[];
  readonly elapsedSeconds: number;
}

/**
 * Reads a search folder to continue it, refusing options that differ from the ones it was started with (a
 * different space, strategy or seed would make its trials answer another question).
 * @param dir - the search folder
 * @param now - the strategy's name, the seed and the space as given now
 * @returns its id, trials (finished and running) and the seconds it has run
 * @throws ConfigError naming each option that differs; the errors of `readSearchRecord`
 * @example
 * ```ts
 * const earlier = checkResume("experiments/search", { strategy: "tpe", seed: 0, space });
 * ```
 */
export function checkResume(
  dir: string,
  now: { strategy: string; seed: number; space: unknown },
): EarlierSearch {
  const record = readSearchRecord(dir);
  const issues = (["strategy", "seed", "space"] as const).flatMap((k) =>
    JSON.stringify(record[k]) === JSON.stringify(now[k])
      ? []
      : [
          {
            path: [k],
            message: `the search in ${dir} was started with ${k} ${JSON.stringify(record[k])}, not ${JSON.stringify(now[k])}; pass the same ${k} to continue it`,
          },
        ],
  );
  if (issues.length) throw new ConfigError(issues, { source: "search resume" });
  return {
    dir,
    id: record.id ?? "search",
    trials: record.trials,
    elapsedSeconds: record.elapsedSeconds ?? 0,
  };
}
