/**
 * The contract between a search and its workers: what a trial job carries, what a worker reports while it
 * trains (BullMQ job progress), the verdict the search sends back (a Redis key per job), and the code version
 * both sides must share.
 *
 * Protocol, per evaluation: the worker reports the trial's curve with `awaiting: step` and waits for a verdict
 * whose `step` is at least that step; the search runs its pruner and writes the verdict (`prune` set when the
 * trial must stop). After any step the worker may find `stop` set (the search's budget ran out, or it was
 * stopped). The search alone decides; a worker only trains and reports.
 */
import { configSchemaFingerprint } from "../../train";
import { tunebookVersion } from "../../util";
import type { Objective } from "../search-options";
import type { TrialOutcome, TrialProgress } from "../trial-run";

/** Bumped when the job's shape changes. */
export const TRIAL_JOB_PROTOCOL = 1;

/** The BullMQ job name of a trial. */
export const TRIAL_JOB_NAME = "trial";

/** The code a process runs: its tunebook version and its config schema's fingerprint. */
export interface CodeVersion {
  readonly tunebook: string;
  readonly schema: string;
  readonly protocol: number;
}

/** What a trial job carries. */
export interface TrialJobData {
  /** The search's code version (a worker refuses a job from another). */
  readonly code: CodeVersion;
  /** The search folder (on a path every worker sees). */
  readonly dir: string;
  /** The trial's number. */
  readonly trial: number;
  /** The trial's complete experiment configuration (snake_case, as config.yaml holds it). */
  readonly config: Record<string, unknown>;
  readonly objective: Objective;
  /** Seconds a worker waits for the verdict on an evaluation before it goes on unpruned. */
  readonly verdictSeconds: number;
}

/** A worker's report (the job's progress). */
export interface TrialReport extends TrialProgress {
  /** The evaluation step the worker waits for a verdict on. */
  awaiting?: number;
  /** The worker training it (`host:pid`). */
  worker?: string;
}

/** The search's answer, in the job's verdict key. */
export interface TrialVerdict {
  /** The last evaluation step decided. */
  step: number;
  /** Set when the trial must stop: why it was pruned. */
  prune?: string;
  /** Set when the trial must stop now: the budget ran out or the search was stopped. */
  stop?: string;
}

/** What a worker returns when the trial ended (the job's return value). */
export interface TrialJobResult extends TrialOutcome, TrialProgress {
  /** Seconds the last attempt trained. */
  seconds: number;
}

/**
 * This process's code version.
 * @returns the tunebook version, the config schema fingerprint and the job protocol
 * @example
 * ```ts
 * codeVersion(); // { tunebook: "0.1.0", schema: "3f9a0c1be2d4", protocol: 1 }
 * ```
 */
export function codeVersion(): CodeVersion {
  return { tunebook: tunebookVersion(), schema: configSchemaFingerprint(), protocol: TRIAL_JOB_PROTOCOL };
}

/**
 * Why a process of version `worker` may not run a job of version `search`, or undefined when it may.
 * @param worker - the worker's code version
 * @param search - the search's
 * @returns the message, or undefined
 * @example
 * ```ts
 * versionMismatch(codeVersion(), job.data.code);
 * ```
 */
export function versionMismatch(worker: CodeVersion, search: CodeVersion): string | undefined {
  if (
    worker.tunebook === search.tunebook &&
    worker.schema === search.schema &&
    worker.protocol === search.protocol
  )
    return undefined;
  const show = (v: CodeVersion) =>
    `tunebook ${v.tunebook} (config schema ${v.schema}, job protocol ${v.protocol})`;
  return `the worker runs ${show(worker)} but the search was started with ${show(search)}; install the search's tunebook version on every worker machine`;
}

/** A job id for trial `n` of search `id` (BullMQ ids may not contain ':'). */
export const trialJobId = (searchId: string, n: number): string => `${searchId}-trial-${n}`;

/** The Redis key holding the verdict on a job. */
export const verdictKey = (queue: string, jobId: string): string => `tunebook:${queue}:verdict:${jobId}`;

/** A worker's BullMQ name: its code version and where it runs, so a search can check workers before it starts. */
export const workerName = (v: CodeVersion, where: string): string =>
  `tunebook@${v.tunebook}@${v.schema}@${v.protocol}@${where}`;

/**
 * Reads a worker's code version back from its Redis client name (BullMQ's `rawname`).
 * @param rawName - e.g. `bull:…:w:tunebook@0.1.0@3f9a0c1be2d4@1@host:123`
 * @returns the version and where it runs, or undefined for a worker that is not tunebook's
 * @example
 * ```ts
 * parseWorkerName(client.rawname);
 * ```
 */
export function parseWorkerName(rawName: string): { code: CodeVersion; where: string } | undefined {
  const at = rawName.indexOf("tunebook@");
  if (at < 0) return undefined;
  const [, tunebook, schema, protocol, ...where] = rawName.slice(at).split("@");
  if (!tunebook || !schema || !protocol) return undefined;
  return { code: { tunebook, schema, protocol: Number(protocol) }, where: where.join("@") };
}
