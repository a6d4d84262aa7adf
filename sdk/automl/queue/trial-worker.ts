/**
 * A search worker (`tunebook worker --queue redis://…`): takes trial jobs from the BullMQ queue, trains each
 * as an experiment folder in the job's search folder (a path every worker sees), reports the trial's curve at
 * every evaluation and waits for the search's verdict, and returns how the trial ended. A worker killed during
 * a trial loses its job lock; after `lockSeconds` another worker takes the job back from BullMQ's stalled
 * jobs and continues the trial from its last checkpoint.
 */

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Job, Queue } from "bullmq";
import { z } from "zod";
import { parseOptions } from "../../errors";
import { Experiment, ExperimentLockedError, processAlive, RUN_LOCK_FILE } from "../../train";
import { type TrialStop, trainTrial, trialName } from "../trial-run";
import { importQueueModule } from "./queue-modules";
import { connectRedis } from "./redis-connection";
import {
  codeVersion,
  parseWorkerName,
  type TrialJobData,
  type TrialJobResult,
  type TrialReport,
  type TrialVerdict,
  verdictKey,
  versionMismatch,
  workerName,
} from "./trial-job";
import { WorkerVersionError } from "./worker-version-error";

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /** The Redis address, e.g. `redis://127.0.0.1:6379`. */
  url: string;
  /** The queue's name (default `tunebook`; the search's `queue.name`). */
  queue?: string;
  /** Trials trained at once in this process (default 1: onnxruntime already uses every core for one). */
  concurrency?: number;
  /**
   * Seconds a job's lock lasts without renewal (default 60): a killed worker's trial is taken over after about
   * this long. The lock is renewed between steps, so keep it longer than one training step.
   */
  lockSeconds?: number;
  /** Stops the worker: running trials stop after their current step with a checkpoint and go back to the queue. */
  signal?: AbortSignal;
  /** What the worker does, as lines (job taken, ended, refused). */
  onLog?: (line: string) => void;
}

const optionsSchema = z.object({
  url: z.string().min(1),
  queue: z.string().min(1).default("tunebook"),
  concurrency: z.number().int().positive().default(1),
  lockSeconds: z.number().positive().default(60),
});

/** Seconds between reports while no evaluation is due (the search's view of tokens, for its token budget). */
const REPORT_SECONDS = 1;

/**
 * Runs a worker until `signal` fires (or it refuses a job of another code version).
 * @param options - Redis address, queue name, concurrency, lock duration, signal, log
 * @returns when the worker has closed
 * @throws QueueUnreachableError when Redis does not answer; WorkerVersionError after refusing a job whose search
 * runs another tunebook version or config schema (the job goes back to the queue for another worker)
 * @example
 * ```ts
 * await runWorker({ url: "redis://127.0.0.1:6379", signal: AbortSignal.timeout(3_600_000) });
 * ```
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const o = parseOptions(optionsSchema, options, "runWorker");
  const log = options.onLog ?? (() => {});
  const redis = await connectRedis(o.url);
  const {
    DelayedError,
    Queue: BullQueue,
    UnrecoverableError,
    WaitingError,
    Worker,
  } = await importQueueModule("bullmq");
  const code = codeVersion();
  const where = `${os.hostname()}:${process.pid}`;
  const stopping = new AbortController();
  let refusal: string | undefined;
  const peers = new BullQueue(o.queue, { connection: redis });
  const processor = async (job: Job, token?: string): Promise<TrialJobResult> => {
    const data = job.data as TrialJobData;
    const mismatch = versionMismatch(code, data.code);
    if (mismatch) {
      refusal = `refused trial ${data.trial} of ${data.dir}: ${mismatch}`;
      log(refusal);
      stopping.abort();
      if (!token) throw new UnrecoverableError(refusal);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    log(`trial ${data.trial} of ${data.dir}: started`);
    const run = () => runTrialJob(job, data, { redis, queue: o.queue, where, signal: stopping.signal });
    let result: TrialJobResult;
    try {
      result = await run();
    } catch (e) {
      if (!(e instanceof ExperimentLockedError)) throw e;
      if (await holderAlive(peers, e)) {
        // The worker that had this job lost its lock (a long pause) but still trains the trial: come back later.
        log(`trial ${data.trial}: still trained by ${e.host}:${e.pid}; retrying in ${o.lockSeconds} s`);
        if (!token) throw e;
        await job.moveToDelayed(Date.now() + o.lockSeconds * 1000, token);
        throw new DelayedError();
      }
      // Its holder is gone (the queue gave this worker its job): take the folder over.
      fs.rmSync(path.join(e.dir, RUN_LOCK_FILE), { force: true });
      result = await run();
    }
    if (stopping.signal.aborted && token && result.reason === WORKER_STOPPED) {
      log(`trial ${data.trial}: stopped with a checkpoint, back in the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    log(`trial ${data.trial}: ${result.state}${result.reason ? ` (${result.reason})` : ""}`);
    return result;
  };
  const worker = new Worker(o.queue, processor, {
    connection: redis,
    name: workerName(code, where),
    concurrency: o.concurrency,
    lockDuration: o.lockSeconds * 1000,
    stalledInterval: Math.max(500, (o.lockSeconds * 1000) / 2),
    maxStalledCount: 5,
  });
  worker.on("error", (e) => log(`queue error: ${e.message}`));
  const stop = () => stopping.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) stopping.abort();
  log(
    `worker ${where} (tunebook ${code.tunebook}, config schema ${code.schema}) on queue '${o.queue}' at ${o.url}`,
  );
  await new Promise<void>((resolve) =>
    stopping.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  await worker.close();
  await peers.close();
  redis.disconnect();
  options.signal?.removeEventListener("abort", stop);
  if (refusal) throw new WorkerVersionError(refusal);
}

const WORKER_STOPPED = "the worker was stopped";

/**
 * Whether the process holding a trial folder's run lock still lives: checked directly on this machine, and
 * on another through the queue (a tunebook worker there with that pid is still connected).
 */
async function holderAlive(queue: Queue, e: ExperimentLockedError): Promise<boolean> {
  const local = processAlive({ pid: e.pid, host: e.host });
  if (local !== undefined) return local;
  const workers = await queue.getWorkers();
  return workers.some((w) => parseWorkerName(String(w.rawname ?? ""))?.where === `${e.host}:${e.pid}`);
}

/** The decision a verdict carries, if any. */
function stopOf(v: TrialVerdict | undefined): TrialStop | undefined {
  if (v?.stop) return { state: "stopped", reason: v.stop };
  if (v?.prune) return { state: "pruned", reason: v.prune };
  return undefined;
}

/** Trains one job's trial, reporting at every evaluation and obeying the search's verdicts. */
async function runTrialJob(
  job: Job,
  data: TrialJobData,
  c: { redis: import("ioredis").Redis; queue: string; where: string; signal: AbortSignal },
): Promise<TrialJobResult> {
  const earlier = (job.progress ?? {}) as Partial<TrialReport>;
  const progress: TrialReport = {
    curve: earlier.curve ?? [],
    tokens: earlier.tokens ?? 0,
    value: earlier.value,
    bestStep: earlier.bestStep,
    worker: c.where,
  };
  const key = verdictKey(c.queue, job.id as string);
  const verdict = async (): Promise<TrialVerdict | undefined> => {
    const raw = await c.redis.get(key);
    return raw ? (JSON.parse(raw) as TrialVerdict) : undefined;
  };
  let lastReport = 0;
  const report = async (awaiting?: number) => {
    lastReport = performance.now();
    await job.updateProgress({ ...progress, awaiting } satisfies TrialReport);
  };
  await report();
  const t0 = performance.now();
  const outcome = await trainTrial(Experiment.fromConfig(data.config), {
    dir: data.dir,
    name: trialName(data.trial),
    objective: data.objective,
    progress,
    signal: c.signal,
    hooks: {
      afterStep: async () => {
        if (performance.now() - lastReport < REPORT_SECONDS * 1000) return undefined;
        await report();
        return stopOf(await verdict());
      },
      afterEval: async (_p, step) => {
        await report(step);
        const deadline = performance.now() + data.verdictSeconds * 1000;
        for (
          let wait = 10;
          performance.now() < deadline && !c.signal.aborted;
          wait = Math.min(wait * 2, 200)
        ) {
          const v = await verdict();
          if (stopOf(v) || (v && v.step >= step)) return stopOf(v);
          await sleep(wait);
        }
        return undefined;
      },
    },
  });
  const result: TrialJobResult = { ...outcome, ...progress, seconds: (performance.now() - t0) / 1000 };
  if (c.signal.aborted && outcome.state === "stopped") result.reason = WORKER_STOPPED;
  return result;
}
