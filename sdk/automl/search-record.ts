/** Reading a search folder's `search.json` (written by `runSearch` after every change). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../errors";
import type { Objective } from "./search-options";
import type { SearchTrial } from "./search-trial";

/** The contents of `search.json`. */
export interface SearchRecord {
  version: 1;
  /** The search's id (its trials' job ids on a queue start with it). */
  id?: string;
  strategy: string;
  pruner: string;
  metric: Objective;
  budget: { trials?: number; seconds?: number; tokens?: number };
  seed: number;
  space: unknown;
  /** The job queue its trials ran on, when they ran on workers. */
  queue?: { url: string; name: string };
  /** Seconds the search has run (over every process that ran it). */
  elapsedSeconds?: number;
  trials: SearchTrial[];
}

/**
 * Reads a search folder.
 * @param dir - the search folder (holding `search.json`)
 * @returns its record
 * @throws ConfigError when the folder has no readable `search.json` or it was written by another version
 * @example
 * ```ts
 * const record = readSearchRecord("experiments/search");
 * ```
 */
export function readSearchRecord(dir: string): SearchRecord {
  const file = path.join(dir, "search.json");
  let record: SearchRecord;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as SearchRecord;
  } catch (e) {
    const message = `cannot read ${file} (${(e as Error).message}); pass a folder created by a search`;
    throw new ConfigError([{ path: ["dir"], message }], { source: "search folder" });
  }
  if (record.version !== 1 || !Array.isArray(record.trials)) {
    const message = `${file} is not a search record this version of tunebook reads (version ${JSON.stringify(record.version)})`;
    throw new ConfigError([{ path: ["dir"], message }], { source: "search folder" });
  }
  return record;
}
