/**
 * Events a training run emits. The trainer never prints: the notebook display (kernel-extensions) and the CLI
 * subscribe to these and render them their own way. A discriminated union on `type`.
 */

/** One optimizer step finished. */
export interface StepEvent {
  type: "step";
  /** Optimizer step, 1-based. */
  step: number;
  /** Total optimizer steps planned for the run. */
  totalSteps: number;
  /** Fractional epoch reached, e.g. 1.25. */
  epoch: number;
  /** Training loss of this step (mean over its tokens). */
  loss: number;
  /** Learning rate used for this step. */
  learningRate: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Training tokens (padding excluded) this step processed. */
  tokens: number;
  /** Training tokens per second over this step. */
  tokensPerSecond: number;
  /** Seconds since the run started. */
  elapsedSeconds: number;
  /**
   * What the problem type measured while making this step's batches, averaged over its micro-batches (GRPO:
   * `reward`, `completion_length`, `generation_seconds`); absent for problems that measure nothing.
   */
  metrics?: Record<string, number>;
}

/** A validation pass finished. */
export interface EvalEvent {
  type: "eval";
  step: number;
  epoch: number;
  /** Validation loss (token mean). */
  loss: number;
  /** Metric values by metric name, e.g. `{ perplexity: 12.3, bleu: 20.1 }`. */
  metrics: Record<string, number>;
  /** Metrics that declare a chart scale (`Metric.scale`), e.g. `{ perplexity: "log" }`; others are linear. */
  scales?: Record<string, "linear" | "log">;
}

/** A checkpoint was written (atomically) to `path`. */
export interface CheckpointEvent {
  type: "checkpoint";
  step: number;
  path: string;
  /** Why it was written. */
  reason: "best" | "last" | "interval" | "cancel";
}

/** A human-readable message. */
export interface LogEvent {
  type: "log";
  level: "info" | "warn" | "error";
  message: string;
}

/** The run ended. */
export interface DoneEvent {
  type: "done";
  /** How it ended. */
  status: "completed" | "cancelled" | "failed";
  step: number;
  /** Final training loss, when at least one step ran. */
  loss?: number;
  /** Error message when `status` is `failed`. */
  error?: string;
}

/** Every event a training run emits. */
export type TrainEvent = StepEvent | EvalEvent | CheckpointEvent | LogEvent | DoneEvent;

/**
 * Subscriber hooks; each optional. `onEvent` sees every event; the typed hooks see one kind.
 * A hook may return a promise; the trainer awaits it before the next step.
 */
export interface TrainCallbacks {
  onEvent?(event: TrainEvent): void | Promise<void>;
  onStep?(event: StepEvent): void | Promise<void>;
  onEval?(event: EvalEvent): void | Promise<void>;
  onCheckpoint?(event: CheckpointEvent): void | Promise<void>;
  onLog?(event: LogEvent): void | Promise<void>;
  onDone?(event: DoneEvent): void | Promise<void>;
}

/**
 * Delivers one event to a list of subscribers: `onEvent` first, then the hook for its type.
 * @param callbacks - subscribers, in order
 * @param event - the event to deliver
 */
export async function dispatchEvent(callbacks: readonly TrainCallbacks[], event: TrainEvent): Promise<void> {
  for (const cb of callbacks) {
    await cb.onEvent?.(event);
    switch (event.type) {
      case "step":
        await cb.onStep?.(event);
        break;
      case "eval":
        await cb.onEval?.(event);
        break;
      case "checkpoint":
        await cb.onCheckpoint?.(event);
        break;
      case "log":
        await cb.onLog?.(event);
        break;
      case "done":
        await cb.onDone?.(event);
        break;
    }
  }
}
