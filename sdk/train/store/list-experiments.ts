/** Listing the experiment folders under a root, with a one-line summary of each. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExperimentState, ExperimentStatus } from "./experiment-status";
import { ExperimentStore, type MetricRecord } from "./experiment-store";
import { processAlive } from "./process-liveness";

/**
 * The state shown for an experiment: its recorded state, except that a run recorded as `created` or `running`
 * whose process is gone (killed, crashed, the machine restarted) is `interrupted`; `unknown` without a
 * readable status.json.
 */
export type ObservedState = ExperimentState | "interrupted" | "unknown";

/**
 * The state of an experiment as it is now, checking that a `created` or `running` run's process still lives.
 * @param status - the contents of status.json
 * @returns the state to show
 * @example
 * ```ts
 * observedState(store.readStatus()); // "interrupted" after a kill -9
 * ```
 */
export function observedState(status: ExperimentStatus | undefined): ObservedState {
  if (!status) return "unknown";
  const active = status.status === "running" || status.status === "created";
  if (active && status.pid !== undefined && processAlive({ pid: status.pid, host: status.host }) === false) {
    return "interrupted";
  }
  return status.status;
}

/** Summary of one experiment, as shown by `tunebook experiments list`. */
export interface ExperimentSummary {
  /** Folder name, e.g. `tiny-20250101-120000`. */
  id: string;
  /** Experiment name from status.json (the folder name without its timestamp). */
  name: string;
  /** Absolute folder path. */
  dir: string;
  /**
   * Lifecycle state; `interrupted` when status.json says `created` or `running` but the process that wrote it
   * is gone; `unknown` when status.json is missing or unreadable.
   */
  status: ObservedState;
  createdAt?: string;
  updatedAt?: string;
  /** Backbone from config.yaml. */
  backbone?: string;
  /** Last recorded optimizer step. */
  step?: number;
  /** Planned optimizer steps. */
  totalSteps?: number;
  /** Training loss of the last recorded step. */
  trainLoss?: number;
  /** Validation loss of the last evaluation. */
  evalLoss?: number;
  /** Lowest validation loss seen. */
  bestEvalLoss?: number;
  /** Metrics of the last evaluation. */
  metrics: Record<string, number>;
}

function lastOf<T extends MetricRecord["type"]>(records: MetricRecord[], type: T) {
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i].type === type) return records[i] as Extract<MetricRecord, { type: T }>;
  }
  return undefined;
}

/**
 * Summarises one experiment folder.
 * @param store - the experiment
 * @returns its summary (a broken config.yaml leaves `backbone` undefined rather than failing)
 * @example
 * ```ts
 * summarizeExperiment(ExperimentStore.open(dir)).trainLoss;
 * ```
 */
export function summarizeExperiment(store: ExperimentStore): ExperimentSummary {
  const status = store.readStatus();
  const records = store.readMetrics();
  let backbone: string | undefined;
  try {
    backbone = store.readConfig()?.architecture.backbone;
  } catch {
    backbone = undefined;
  }
  const lastStep = lastOf(records, "step");
  const lastEval = lastOf(records, "eval");
  const evalLosses = records.filter((r) => r.type === "eval").map((r) => r.loss);
  return {
    id: store.id,
    name: status?.name ?? store.id,
    dir: store.dir,
    status: observedState(status),
    createdAt: status?.createdAt,
    updatedAt: status?.updatedAt,
    backbone,
    step: lastStep?.step ?? status?.step,
    totalSteps: lastStep?.totalSteps,
    trainLoss: lastStep?.loss,
    evalLoss: lastEval?.loss,
    bestEvalLoss: evalLosses.length ? Math.min(...evalLosses) : undefined,
    metrics: lastEval?.metrics ?? {},
  };
}

/**
 * Lists the experiments under a root folder (sub-folders holding status.json or config.yaml), oldest first.
 * @param root - the experiments root (default `./experiments`); a missing root lists nothing
 * @returns one summary per experiment
 * @throws the underlying filesystem error other than "not found"
 * @example
 * ```ts
 * for (const e of listExperiments("./experiments")) console.log(e.id, e.status, e.evalLoss);
 * ```
 */
export function listExperiments(root = "./experiments"): ExperimentSummary[] {
  if (!fs.existsSync(root)) return [];
  const out: ExperimentSummary[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    if (!fs.existsSync(path.join(dir, "status.json")) && !fs.existsSync(path.join(dir, "config.yaml")))
      continue;
    out.push(summarizeExperiment(ExperimentStore.open(dir)));
  }
  return out.sort((a, b) => (a.createdAt ?? "").localeCompare(b.createdAt ?? "") || a.id.localeCompare(b.id));
}
