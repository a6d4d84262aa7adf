/**
 * The training loop, one loop for every problem type: seeded, resumable batches → the problem's fused steps
 * (with gradient accumulation) on a schedule → periodic validation, metrics and checkpoints → typed events. It never prints; subscribers
 * render the events. A run stops when the planned steps are done, when the signal fires (after the current
 * step, with a checkpoint), or when the loss stops being finite (the last good checkpoint is kept).
 */
import type { Backbone } from "../../models";
import type { ExperimentConfig } from "../config";
import { dispatchEvent, type TrainCallbacks, type TrainEvent } from "../events";
import type { ExperimentStore } from "../store";
import type { Policy, ProblemData, ProblemType } from "./problem-type";
import { learningRateAt } from "./schedule";
import { checkpointFiles, type TrainCheckpoint, type TrainerState } from "./train-checkpoint";
import type { GeneratedEvaluation, RunMetric } from "./validate";

/** Options of {@link trainLoop}. */
export interface TrainLoopOptions {
  /** The model (with LoRA adapters unless `trainBase`). */
  backbone: Backbone;
  /** Full fine-tuning of every backbone weight. */
  trainBase: boolean;
  /** Recompute each decoder layer in the backward (`architecture.gradient_checkpointing`). */
  gradientCheckpointing?: boolean;
  /** What is learned: the step, the batches' feeds and the validation metrics come from it. */
  problem: ProblemType;
  /** The run's configuration (the problem type's own settings are read from it). */
  config: ExperimentConfig;
  /** Training data, prepared by `problem.prepare`. */
  train: ProblemData;
  validation?: ProblemData;
  training: ExperimentConfig["training"];
  /** NEFTune (token masking is applied by the problem's batches; parent-turn augmentations are refused). */
  augmentation?: Pick<ExperimentConfig["augmentation"], "neftuneNoiseAlpha">;
  /** Seed of shuffling and dropout. */
  seed: number;
  /** Validation metrics; the first one picks the best checkpoint (validation loss when none). */
  metrics: readonly RunMetric[];
  /**
   * Computes the metrics that score generated answers at each evaluation; without it they are left out of the
   * `eval` events, with a warning.
   */
  evaluateGenerated?: GeneratedEvaluation;
  /** Where checkpoints go (none without a store). */
  store?: ExperimentStore;
  callbacks: readonly TrainCallbacks[];
  signal?: AbortSignal;
  /** Continue from this checkpoint. */
  resume?: TrainCheckpoint;
  /** What the run trains with (configuration, data fingerprint), recorded in every checkpoint it writes. */
  record?: Pick<TrainerState, "config" | "dataFingerprint">;
}

/** How a run ended. */
export interface TrainLoopResult {
  status: "completed" | "cancelled" | "failed";
  /** Optimizer steps done. */
  step: number;
  /** Last training loss (undefined when no step ran). */
  loss?: number;
  /** Best validation value and its step. */
  best: TrainerState["best"];
  /** The trained values (LoRA tensors or full weights) by name. */
  params: Record<string, Float32Array>;
  /** The failure, when `status` is `failed`. */
  error?: Error;
}

/**
 * The number of optimizer steps an epoch takes (with `training.packing`, of packed rows: the same every epoch).
 * @param train - the training data
 * @param training - batch size and gradient accumulation
 * @returns optimizer steps per epoch
 * @example
 * ```ts
 * const total = config.training.epochs * stepsPerEpoch(train, config.training);
 * ```
 */
export function stepsPerEpoch(
  train: ProblemData,
  training: Pick<ExperimentConfig["training"], "batchSize" | "gradAccumulation">,
): number {
  const micro = train.batches({ batchSize: training.batchSize, shuffle: false }).numBatches;
  return Math.ceil(micro / training.gradAccumulation);
}

/** Dropout seed of micro-batch `micro` of step `step`: fixed by (seed, step), so a resumed run repeats it. */
const dropoutSeed = (seed: number, step: number, micro: number) =>
  (Math.imul(seed ^ 0x5bd1e995, 31) + step * 1024 + micro) >>> 1;

/** The mean of each value the step's micro-batches measured (`StepBatch.stats`). */
class StatsMean {
  private readonly sums = new Map<string, { sum: number; n: number }>();
  add(stats: Readonly<Record<string, number>> | undefined): void {
    for (const [k, v] of Object.entries(stats ?? {})) {
      const e = this.sums.get(k) ?? { sum: 0, n: 0 };
      e.sum += v;
      e.n += 1;
      this.sums.set(k, e);
    }
  }
  /** `{ metrics }` when any micro-batch measured something, else nothing. */
  metrics(): { metrics?: Record<string, number> } {
    if (this.sums.size === 0) return {};
    return { metrics: Object.fromEntries([...this.sums].map(([k, e]) => [k, e.sum / e.n])) };
  }
}

/**
 * Runs (or continues) a training run.
 * @param o - model, data, settings, seed, metrics, store, subscribers, signal, checkpoint to resume
 * @returns how it ended and the trained values
 * @example
 * ```ts
 * const problem = problemType("causal_lm");
 * const { train } = await problem.prepare({ config, dataset, tokenizer, onWarning: console.warn });
 * const result = await trainLoop({ backbone, trainBase: false, problem, config, train, training: config.training, seed: 1, metrics: [], callbacks: [] });
 * ```
 */
export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const t = o.training;
  const perEpoch = stepsPerEpoch(o.train, t);
  const totalSteps = t.epochs * perEpoch;
  const schedule = {
    peak: t.learningRate,
    schedule: t.schedule,
    totalSteps,
    warmupSteps: Math.round(t.warmupEpochs * perEpoch),
    minLrRatio: t.minLrRatio,
  };
  const evalEvery = Math.max(1, Math.round(t.evaluationEpochs * perEpoch));
  const byTokens = t.gradAccumulation > 1 && t.gradAccumulationAverage === "tokens";
  // The step session holds the frozen weights; an inference session of the backbone would be a second copy.
  await o.backbone.releaseSessions();
  const { step: ts, shapes } = await o.problem.createStep({
    config: o.config,
    backbone: o.backbone,
    trainBase: o.trainBase,
    optimizer: { beta1: t.adamBeta1, beta2: t.adamBeta2, eps: t.adamEpsilon, weightDecay: t.weightDecay },
    maxGradNorm: t.maxGradNorm,
    neftuneAlpha: o.augmentation?.neftuneNoiseAlpha,
    accumulate: t.gradAccumulation > 1,
    gradientCheckpointing: o.gradientCheckpointing,
    packing: t.packing,
  });
  if (o.resume) ts.importState(o.resume.optimizer);
  const state: TrainerState = o.resume?.state ?? {
    version: 1,
    step: 0,
    totalSteps,
    epoch: 0,
    nextBatch: 0,
    seed: o.seed,
    best: null,
    loss: null,
    shapes,
  };
  state.totalSteps = totalSteps;
  Object.assign(state, o.record);
  const emit = (e: TrainEvent) => dispatchEvent(o.callbacks, e);
  const started = performance.now();
  const primary = o.metrics[0] ?? { name: "loss", direction: "min" as const };
  const declared = o.metrics.flatMap((m) => (m.scale ? [[m.name, m.scale] as const] : []));
  const scales = declared.length ? { scales: Object.fromEntries(declared) } : {};

  // Online problems (GRPO) sample their batches from the values trained so far.
  const policy: Policy = { backbone: o.backbone, params: () => ts.exportState().params };
  const save = async (name: string, reason: "best" | "last" | "interval" | "cancel") => {
    if (!o.store || t.saveCheckpoint === "disable") return;
    const checkpoint = { state: { ...state }, optimizer: ts.exportState() };
    const path = await o.store.writeCheckpoint(name, checkpointFiles(checkpoint));
    await emit({ type: "checkpoint", step: state.step, path, reason });
  };
  const evaluate = async () => {
    if (!o.validation) return;
    const r = await o.problem.validate({
      step: ts,
      data: o.validation,
      batchSize: t.batchSize,
      metrics: o.metrics,
      policy,
    });
    if (r.generated.length && o.evaluateGenerated) {
      const params = ts.exportState().params;
      try {
        const g = await o.evaluateGenerated({ step: state.step, params, metrics: r.generated });
        Object.assign(r.metrics, g.metrics);
        r.warnings.push(...g.warnings);
      } catch (error) {
        // A metric that cannot be computed (an unreachable judge, no prompts to answer) costs this evaluation
        // that metric, not the run.
        const names = r.generated.map((m) => `'${m.name}'`).join(", ");
        r.warnings.push(
          `metrics ${names} were not computed at step ${state.step}: ${(error as Error).message}`,
        );
      }
    } else if (r.generated.length) {
      const names = r.generated.map((m) => `'${m.name}'`).join(", ");
      r.warnings.push(`metrics ${names} score generated answers and are not computed (no evaluateGenerated)`);
    }
    for (const w of r.warnings) await emit({ type: "log", level: "warn", message: w });
    if (r.rows && o.store) await o.store.writePredictions("validation", r.rows, "csv");
    const epoch = state.step / perEpoch;
    const metrics = Object.fromEntries(
      o.metrics.filter((m) => m.name in r.metrics).map((m) => [m.name, r.metrics[m.name]]),
    );
    await emit({ type: "eval", step: state.step, epoch, loss: r.loss, metrics, ...scales });
    const value = primary.name === "loss" ? r.loss : r.metrics[primary.name];
    // A resumed run that ranks by another metric starts its best afresh (values of two metrics do not compare).
    const better =
      state.best === null ||
      state.best.metric !== primary.name ||
      (primary.direction === "max" ? value > state.best.value : value < state.best.value);
    if (Number.isFinite(value) && better) {
      state.best = { metric: primary.name, value, step: state.step };
      if (t.saveCheckpoint === "best") await save("best", "best");
    }
    if (t.saveCheckpoint === "each_evaluation") {
      await save(`step-${String(state.step).padStart(6, "0")}`, "interval");
    }
  };
  const finish = async (status: TrainLoopResult["status"], error?: Error): Promise<TrainLoopResult> => {
    const params = ts.exportState().params;
    await ts.release();
    const loss = state.loss ?? undefined;
    await emit({ type: "done", status, step: state.step, loss, error: error?.message });
    return { status, step: state.step, loss, best: state.best, params, error };
  };

  try {
    if (t.evaluateBeforeTraining && state.step === 0) await evaluate();
    while (state.step < totalSteps) {
      const epochBatches = o.train.batches({
        batchSize: t.batchSize,
        seed: state.seed,
        epoch: state.epoch,
        startBatch: state.nextBatch,
      });
      const iterator = epochBatches[Symbol.iterator]();
      let batch = iterator.next();
      while (!batch.done && state.step < totalSteps) {
        const stepStart = performance.now();
        const lr = learningRateAt(state.step + 1, schedule);
        let lossSum = 0;
        let weightSum = 0;
        let micro = 0;
        let tokens = 0;
        let gradNorm = 0;
        const stats = new StatsMean();
        for (;;) {
          const b = batch.value;
          const seed = dropoutSeed(state.seed, state.step + 1, micro);
          const feeds = await b.feeds(seed, policy);
          stats.add(b.stats);
          const groupEnds =
            (b.index + 1) % t.gradAccumulation === 0 || b.index + 1 === epochBatches.numBatches;
          // Each micro-batch's loss is a mean over its target tokens; weighting its gradient by that count makes
          // the step one over all the group's target tokens, as one big batch (transformers ≥ 4.46).
          const weight = byTokens ? b.numTargetTokens : 1;
          const r = groupEnds ? await ts.step(feeds, { lr, weight }) : await ts.accumulate(feeds, { weight });
          lossSum += r.loss * weight;
          weightSum += weight;
          tokens += b.numTokens;
          micro += 1;
          state.nextBatch = b.index + 1;
          batch = iterator.next();
          if (groupEnds) {
            gradNorm = r.gradNorm;
            break;
          }
        }
        const loss = lossSum / weightSum;
        state.step += 1;
        if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
          const where = o.store ? ` The last good checkpoint is kept in ${o.store.path("checkpoints")}.` : "";
          const err = new Error(
            `the training loss became ${loss} at step ${state.step} (learning rate ${lr.toExponential(2)}).${where} ` +
              "Lower training.learning_rate, set training.max_grad_norm, or check the data for empty answers.",
          );
          return await finish("failed", err);
        }
        state.loss = loss;
        const seconds = (performance.now() - stepStart) / 1000;
        await emit({
          type: "step",
          step: state.step,
          totalSteps,
          epoch: state.epoch + state.nextBatch / epochBatches.numBatches,
          loss,
          learningRate: lr,
          gradNorm,
          tokens,
          tokensPerSecond: tokens / seconds,
          elapsedSeconds: (performance.now() - started) / 1000,
          ...stats.metrics(),
        });
        // onnxruntime-node runs a session synchronously: without a macrotask turn per step, signal handlers
        // (Ctrl-C, the notebook's interrupt button), timers and sockets would wait until the run ends.
        await new Promise((resolve) => setImmediate(resolve));
        if (state.nextBatch >= epochBatches.numBatches) {
          state.epoch += 1;
          state.nextBatch = 0;
        }
        if (state.step % evalEvery === 0 || state.step === totalSteps) {
          await evaluate();
          await save("last", "last");
        }
        if (o.signal?.aborted) {
          if (state.step % evalEvery !== 0 && state.step !== totalSteps) await save("last", "cancel");
          return await finish("cancelled");
        }
      }
      if (batch.done && state.nextBatch !== 0) {
        state.epoch += 1;
        state.nextBatch = 0;
      }
    }
    return await finish("completed");
  } catch (error) {
    return await finish("failed", error as Error);
  }
}
