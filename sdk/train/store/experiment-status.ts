/** The `status.json` of an experiment folder: where a run stands. Always written atomically. */
import * as fs from "node:fs";
import { z } from "zod";

/** Lifecycle of an experiment: created → running → completed | failed | cancelled. */
export const experimentStatusSchema = z.object({
  status: z.enum(["created", "running", "completed", "failed", "cancelled"]),
  /** Experiment name (folder name without the timestamp). */
  name: z.string(),
  /** ISO time the folder was created. */
  createdAt: z.string(),
  /** ISO time of the last status change. */
  updatedAt: z.string(),
  /** Last optimizer step reached. */
  step: z.number().optional(),
  /** Error message when failed. */
  error: z.string().optional(),
  /** Process id of the run while created or running. */
  pid: z.number().optional(),
  /** Host name of the machine the run runs on (with `pid`, tells a live run from a killed one). */
  host: z.string().optional(),
});

/** Contents of `status.json`. */
export type ExperimentStatus = z.infer<typeof experimentStatusSchema>;

/** One of the lifecycle states. */
export type ExperimentState = ExperimentStatus["status"];

/**
 * Reads and validates a `status.json`.
 * @param file - path of the file
 * @returns the status, or `undefined` when the file is missing or unreadable
 * @example
 * ```ts
 * readStatusFile("experiments/run-1/status.json")?.status; // "completed"
 * ```
 */
export function readStatusFile(file: string): ExperimentStatus | undefined {
  try {
    const parsed = experimentStatusSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
