/**
 * The search's side of the job queue: each trial becomes a BullMQ job (its id fixed by the search and the
 * trial's number, so enqueuing it again after a restart adds nothing), its reports are read back from the
 * job, the search's pruner and budget decide, and their verdicts go to the worker through a Redis key.
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { configToPlain, type ExperimentConfig } from "../../train";
import type { Objective } from "../search-options";
import type { SearchTrial } from "../search-trial";
import type { TrialStop } from "../trial-run";
import { importQueueModule } from "./queue-modules";
import { connectRedis } from "./redis-connection";
import {
  codeVersion,
  parseWorkerName,
  TRIAL_JOB_NAME,
  type TrialJobData,
  type TrialJobResult,
  type TrialReport,
  type TrialVerdict,
  trialJobId,
  verdictKey,
  versionMismatch,
} from "./trial-job";
import { WorkerVersionError } from "./worker-version-error";

/** Where a search sends its trials. */
export interface QueueOptions {
  /** The Redis address, e.g. `redis://127.0.0.1:6379`. */
  url: string;
  /** The queue's name (default `tunebook`); workers listen on it with `--queue-name`. */
  name?: string;
  /** Trials queued or running at once (default: the number of workers listening when the search starts, at least 1). */
  concurrency?: number;
  /** Seconds a worker waits for the search's verdict on an evaluation before it goes on (default 60). */
  verdictSeconds?: number;
}

/** What the search decides for a running trial. */
export interface TrialJudge {
  /** A new evaluation was reported (already in the trial's curve). */
  onEval(step: number, value: number): void | Promise<void>;
  /** The pruner's decision at an evaluation step. */
  decide(step: number): TrialStop | undefined;
  /** A decision to stop every running trial now (budget, signal), or undefined. */
  overBudget(): TrialStop | undefined;
}

const POLL_MS = 100;

/** A search's connection to its queue. */
export class QueueExecutor {
  private constructor(
    private readonly queue: Queue,
    private readonly redis: Redis,
    readonly name: string,
    readonly concurrency: number,
    private readonly verdictSeconds: number,
  ) {}

  /**
   * Connects, and checks the workers listening: each must run this process's code version.
   * @param options - address, queue name, concurrency
   * @returns the executor
   * @throws QueueUnreachableError when Redis does not answer; WorkerVersionError naming a worker of another version
   * @example
   * ```ts
   * const executor = await QueueExecutor.open({ url: "redis://127.0.0.1:6379" });
   * ```
   */
  static async open(options: QueueOptions): Promise<QueueExecutor> {
    const redis = await connectRedis(options.url);
    const name = options.name ?? "tunebook";
    const { Queue: BullQueue } = await importQueueModule("bullmq");
    const queue = new BullQueue(name, { connection: redis });
    try {
      const code = codeVersion();
      const workers = (await queue.getWorkers()).flatMap((w) => {
        const parsed = parseWorkerName(String(w.rawname ?? ""));
        return parsed ? [parsed] : [];
      });
      const wrong = workers.flatMap((w) => {
        const m = versionMismatch(w.code, code);
        return m ? [`worker ${w.where}: ${m.replace("the worker runs", "it runs")}`] : [];
      });
      if (wrong.length) throw new WorkerVersionError(`the search cannot start: ${wrong.join("; ")}`);
      const concurrency = options.concurrency ?? Math.max(1, workers.length);
      return new QueueExecutor(queue, redis, name, concurrency, options.verdictSeconds ?? 60);
    } catch (e) {
      await queue.close();
      redis.disconnect();
      throw e;
    }
  }

  /**
   * Runs one trial on a worker: enqueues it (once: its id is fixed), follows its reports, sends the verdicts,
   * and records its end in `trial`.
   * @param searchId - the search's id (from search.json)
   * @param dir - the search folder
   * @param trial - the trial, updated in place
   * @param config - the trial's experiment configuration (paths absolute)
   * @param objective - what the search optimises
   * @param judge - the search's pruner and budget
   * @example
   * ```ts
   * await executor.run(id, dir, trial, config, objective, judge);
   * ```
   */
  async run(
    searchId: string,
    dir: string,
    trial: SearchTrial,
    config: ExperimentConfig,
    objective: Objective,
    judge: TrialJudge,
  ): Promise<void> {
    const jobId = trialJobId(searchId, trial.number);
    const data: TrialJobData = {
      code: codeVersion(),
      dir,
      trial: trial.number,
      config: configToPlain(config),
      objective,
      verdictSeconds: this.verdictSeconds,
    };
    await this.queue.add(TRIAL_JOB_NAME, data, { jobId, attempts: 1 });
    const key = verdictKey(this.name, jobId);
    const current = await this.redis.get(key);
    let verdict: TrialVerdict = current ? JSON.parse(current) : { step: -1 };
    const send = async (v: TrialVerdict) => {
      verdict = v;
      await this.redis.set(key, JSON.stringify(v), "EX", 7 * 24 * 3600);
    };
    const t0 = performance.now() - trial.seconds * 1000;
    for (; ; await sleep(POLL_MS)) {
      // The state first, then the job: a job read before it completed would lack its return value.
      const state = await this.queue.getJobState(jobId);
      const job = await this.queue.getJob(jobId);
      if (!job || state === "unknown") {
        trial.state = "failed";
        trial.reason = `its job ${jobId} was removed from queue '${this.name}'`;
        break;
      }
      if (state === "completed") {
        const r = job.returnvalue as TrialJobResult | null;
        if (!r) {
          trial.state = "failed";
          trial.reason = `its job ${jobId} completed without a result`;
          break;
        }
        Object.assign(trial, {
          curve: r.curve,
          value: r.value,
          bestStep: r.bestStep,
          tokens: r.tokens,
          folder: r.folder,
          state: r.state,
          reason: r.reason,
        });
        break;
      }
      if (state === "failed") {
        trial.state = "failed";
        trial.reason = job.failedReason || "its job failed";
        break;
      }
      const report = job.progress as TrialReport | number | undefined;
      if (report && typeof report === "object" && Array.isArray(report.curve)) {
        const known = new Set(trial.curve.map(([s]) => s));
        Object.assign(trial, {
          curve: report.curve,
          value: report.value,
          bestStep: report.bestStep,
          tokens: report.tokens,
        });
        for (const [s, v] of report.curve) if (!known.has(s)) await judge.onEval(s, v);
        if (report.awaiting !== undefined && report.awaiting > verdict.step) {
          const d = judge.decide(report.awaiting);
          await send({
            ...verdict,
            step: report.awaiting,
            ...(d ? { [d.state === "pruned" ? "prune" : "stop"]: d.reason } : {}),
          });
        }
      }
      const over = judge.overBudget();
      if (over && !verdict.stop) await send({ ...verdict, stop: over.reason });
      trial.seconds = (performance.now() - t0) / 1000;
    }
    trial.seconds = (performance.now() - t0) / 1000;
  }

  /** Closes the queue's connections (jobs and verdicts stay in Redis). */
  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}
