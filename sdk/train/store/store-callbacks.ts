/** A training subscriber that records a run's events in its experiment folder. */
import type { TrainCallbacks, TrainEvent } from "../events";
import type { ExperimentStore } from "./experiment-store";
import { currentProcess } from "./process-liveness";

/** Options of {@link storeCallbacks}. */
export interface StoreCallbacksOptions {
  /** Record every n-th step in metrics.jsonl (the first and last steps always); default 1. */
  logEveryNSteps?: number;
}

function describe(event: TrainEvent): string | undefined {
  switch (event.type) {
    case "eval": {
      const metrics = Object.entries(event.metrics).map(([k, v]) => ` ${k}=${v.toPrecision(5)}`);
      return `eval step=${event.step} epoch=${event.epoch.toFixed(2)} loss=${event.loss.toPrecision(5)}${metrics.join("")}`;
    }
    case "checkpoint":
      return `checkpoint (${event.reason}) step=${event.step} -> ${event.path}`;
    case "done":
      return `run ${event.status} at step ${event.step}${event.loss === undefined ? "" : ` loss=${event.loss.toPrecision(5)}`}${event.error ? `: ${event.error}` : ""}`;
    default:
      return undefined;
  }
}

/**
 * Subscribes an experiment folder to a training run: step and eval events go to metrics.jsonl, logs and
 * milestones to logs.txt, and status.json follows the run (running on the first event, then completed,
 * failed or cancelled).
 * @param store - the experiment folder
 * @param options - `logEveryNSteps` (default 1)
 * @returns callbacks to pass to the trainer
 * @example
 * ```ts
 * const store = await ExperimentStore.create({ name: "tiny", config });
 * await experiment.fit({ callbacks: [storeCallbacks(store)] });
 * ```
 */
export function storeCallbacks(store: ExperimentStore, options: StoreCallbacksOptions = {}): TrainCallbacks {
  const every = Math.max(1, Math.floor(options.logEveryNSteps ?? 1));
  let started = false;
  return {
    async onEvent(event) {
      if (!started && event.type !== "done") {
        started = true;
        await store.writeStatus("running", currentProcess());
      }
      const line = describe(event);
      if (line) store.appendLog(line, event.type === "done" && event.status === "failed" ? "error" : "info");
    },
    onStep(event) {
      if (event.step === 1 || event.step === event.totalSteps || event.step % every === 0) {
        store.appendMetrics([event]);
      }
    },
    onEval(event) {
      store.appendMetrics([event]);
    },
    onLog(event) {
      store.appendLog(event.message, event.level);
    },
    async onDone(event) {
      await store.writeStatus(event.status, { step: event.step, error: event.error });
    },
  };
}
