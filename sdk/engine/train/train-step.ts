/**
 * A compiled training step with its optimizer state. The trainable tensors and AdamW moments live in
 * JavaScript between steps (they are LoRA-sized); each step feeds them in and takes the updated ones out.
 * The state can be exported and restored exactly, so a resumed run continues bit for bit.
 */
import { type CompileOptions, compile } from "../compile";
import type { Tensor } from "../ir/graph";
import { type Session, type TensorValue, tensorValue } from "../runtime/session";
import { buildStepGraph, type StepGraphOptions } from "./step-graph";

/** Optimizer state: parameter values, moments, accumulated gradients, and the number of updates made. */
export interface OptimizerState {
  step: number;
  params: Record<string, Float32Array>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** Result of one step. */
export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping (0 in evaluation and in accumulation micro-steps). */
  gradNorm: number;
  /** Extra outputs, by name. */
  outputs: Record<string, TensorValue>;
}

/** Values fed to the data inputs. */
export type Feeds = Record<string, TensorValue>;

const scalarF = (x: number) => tensorValue("float32", [], Float32Array.of(x));
const scalarB = (x: boolean) => tensorValue("bool", [], Uint8Array.of(x ? 1 : 0));

function checkWeight(weight: number | undefined): number {
  const w = weight ?? 1;
  if (!(w >= 0 && Number.isFinite(w))) {
    throw new Error(`TrainStep: a micro-step weight must be a finite number ≥ 0, got ${weight}`);
  }
  return w;
}

function initialValues(p: Tensor): Float32Array {
  const src = p.source;
  if (src.kind !== "param" || src.data.kind !== "inline" || !(src.data.data instanceof Float32Array)) {
    throw new Error(`trainable parameter ${p} must hold inline float32 values`);
  }
  return Float32Array.from(src.data.data);
}

/**
 * A fused training step (forward + backward + clip + AdamW) in one onnxruntime session, with evaluation
 * and gradient accumulation in the same session.
 * @example
 * ```ts
 * const step = await TrainStep.create({ loss, params: [w], optimizer: { weightDecay: 0.01 } });
 * const { loss: l } = await step.step({ x, y }, { lr: 1e-3 });
 * ```
 */
export class TrainStep {
  /** Sum of the weights of the micro-steps accumulated since the last update. */
  private pendingWeight = 0;

  private constructor(
    private readonly session: Session,
    private readonly params: readonly Tensor[],
    private readonly names: readonly string[],
    private readonly accumulates: boolean,
    private readonly extraNames: readonly string[],
    private state: OptimizerState,
    private acc: Record<string, Float32Array>,
  ) {}

  /**
   * Builds and compiles the step graph.
   * @param options - loss, trainable parameters, optimizer; plus compile options (device, threads, model path)
   * @returns a ready step with zero moments
   */
  static async create(options: StepGraphOptions & { compile?: CompileOptions }): Promise<TrainStep> {
    const built = buildStepGraph(options);
    const session = await compile(built.graph, built.outputs, { ...options.compile, feedTrainable: true });
    const params = Object.fromEntries(options.params.map((p, i) => [built.paramNames[i], initialValues(p)]));
    const zeros = () =>
      Object.fromEntries(built.paramNames.map((n) => [n, new Float32Array(params[n].length)]));
    return new TrainStep(
      session,
      options.params,
      built.paramNames,
      built.accumulate,
      Object.keys(options.extraOutputs ?? {}),
      { step: 0, params, m: zeros(), v: zeros() },
      zeros(),
    );
  }

  /** Number of optimizer updates made so far. */
  get stepCount(): number {
    return this.state.step;
  }

  /** Current values of a trainable parameter. */
  value(name: string): Float32Array {
    const v = this.state.params[name];
    if (!v) throw new Error(`no trainable parameter '${name}'; trainable: ${this.names.join(", ")}`);
    return v;
  }

  /**
   * One optimizer update. With accumulated micro-steps, the gradient is their weighted mean, this batch's
   * included: Σ wᵢ·gᵢ / Σ wᵢ. Weight 1 for every micro-step averages the micro-batch gradients; a micro-batch's
   * number of loss tokens as its weight (for a loss that is a token mean) makes the update equal that of one
   * batch holding all their rows. Clipping applies to that mean.
   * @param feeds - data inputs
   * @param options.lr - learning rate for this update
   * @param options.weight - this batch's weight in the mean (default 1; ignored without accumulation)
   * @throws Error when the weights of the accumulated micro-steps sum to 0 or are not finite
   */
  async step(feeds: Feeds, options: { lr: number; weight?: number }): Promise<StepResult> {
    const total = this.pendingWeight + checkWeight(options.weight);
    if (this.accumulates && !(total > 0 && Number.isFinite(total))) {
      throw new Error(`TrainStep.step: the micro-step weights sum to ${total}; give positive finite weights`);
    }
    const r = await this.run(feeds, {
      train: true,
      apply: true,
      lr: options.lr,
      weight: checkWeight(options.weight),
      scale: 1 / total,
      nextStep: this.state.step + 1,
    });
    this.pendingWeight = 0;
    this.state.step += 1;
    return r;
  }

  /**
   * Adds this batch's gradients, times `weight`, to the accumulator without updating (needs `accumulate: true`).
   * @param feeds - data inputs
   * @param options.weight - this batch's weight in the next update's mean (default 1)
   */
  async accumulate(feeds: Feeds, options: { weight?: number } = {}): Promise<StepResult> {
    if (!this.accumulates) throw new Error("this TrainStep was built without accumulate: true");
    const weight = checkWeight(options.weight);
    const r = await this.run(feeds, {
      train: true,
      apply: false,
      lr: 0,
      weight,
      scale: 1,
      nextStep: this.state.step + 1,
    });
    this.pendingWeight += weight;
    return r;
  }

  /** Forward only: loss and extra outputs, parameters unchanged. */
  async evaluate(feeds: Feeds): Promise<StepResult> {
    return this.run(feeds, {
      train: false,
      apply: false,
      lr: 0,
      weight: 1,
      scale: 1,
      nextStep: Math.max(1, this.state.step),
    });
  }

  private async run(
    data: Feeds,
    mode: { train: boolean; apply: boolean; lr: number; weight: number; scale: number; nextStep: number },
  ): Promise<StepResult> {
    const feeds: Feeds = {
      ...data,
      lr: scalarF(mode.lr),
      step: scalarF(mode.nextStep),
      train: scalarB(mode.train),
    };
    if (this.accumulates) {
      feeds.apply = scalarB(mode.apply);
      feeds.grad_weight = scalarF(mode.weight);
      feeds.grad_scale = scalarF(mode.scale);
    }
    this.names.forEach((n, i) => {
      const dims = this.params[i].shape as number[];
      feeds[n] = tensorValue("float32", dims, this.state.params[n]);
      feeds[`m.${n}`] = tensorValue("float32", dims, this.state.m[n]);
      feeds[`v.${n}`] = tensorValue("float32", dims, this.state.v[n]);
      if (this.accumulates) feeds[`acc.${n}`] = tensorValue("float32", dims, this.acc[n]);
    });
    const out = await this.session.run(feeds);
    if (mode.train) {
      for (const n of this.names) {
        this.state.params[n] = out[`new.${n}`].data as Float32Array;
        this.state.m[n] = out[`new_m.${n}`].data as Float32Array;
        this.state.v[n] = out[`new_v.${n}`].data as Float32Array;
        if (this.accumulates) this.acc[n] = out[`new_acc.${n}`].data as Float32Array;
      }
    }
    const outputs = Object.fromEntries(this.extraNames.map((n) => [n, out[n]]));
    return { loss: Number(out.loss.data[0]), gradNorm: Number(out.grad_norm.data[0]), outputs };
  }

  /** A deep copy of the optimizer state (for checkpoints). */
  exportState(): OptimizerState {
    const copy = (r: Record<string, Float32Array>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Float32Array.from(v)]));
    return {
      step: this.state.step,
      params: copy(this.state.params),
      m: copy(this.state.m),
      v: copy(this.state.v),
    };
  }

  /**
   * Restores a state from {@link exportState} (shapes are checked).
   * @throws Error naming the tensor whose size differs or is missing
   */
  importState(state: OptimizerState): void {
    for (const n of this.names) {
      for (const part of ["params", "m", "v"] as const) {
        const arr = state[part][n];
        if (!arr || arr.length !== this.state.params[n].length) {
          throw new Error(
            `optimizer state: ${part}.${n} is missing or has ${arr?.length} values, expected ${this.state.params[n].length}`,
          );
        }
      }
    }
    const copy = (r: Record<string, Float32Array>) =>
      Object.fromEntries(this.names.map((k) => [k, Float32Array.from(r[k])]));
    this.state = { step: state.step, params: copy(state.params), m: copy(state.m), v: copy(state.v) };
    this.pendingWeight = 0;
    for (const n of this.names) this.acc[n].fill(0);
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
