/**
 * A session over onnxruntime-node: execution-provider choice, threads, memory options, typed feeds and
 * fetches, and release. `cpu` is the default; `cuda` needs onnxruntime-node's CUDA binaries.
 */
import * as ort from "onnxruntime-node";
import { RuntimeError } from "../errors/runtime-error";
import type { AnyTypedArray, DType } from "../ir/dtype";

/** Where a session runs. */
export type Device = "cpu" | "cuda";

/** Options of {@link Session.create}. */
export interface SessionOptions {
  /** Execution provider (default `cpu`). */
  device?: Device;
  /** Intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /** Memory-pattern planning (default false: measured 28% less peak memory at the same speed). */
  memPattern?: boolean;
  /** Graph optimisation level (default `all`). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * Let onnxruntime prepack constant matmul weights into its own layout (default true). Prepacking holds a
   * second copy of every frozen matmul weight; turning it off saves that copy at some cost in speed.
   */
  prepacking?: boolean;
  /** A label for error messages. */
  label?: string;
}

/** A value fed to or fetched from a session. */
export interface TensorValue {
  dtype: DType;
  dims: readonly number[];
  data: AnyTypedArray;
}

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: "float32",
  float64: "float64",
  int64: "int64",
  int32: "int32",
  bool: "bool",
  int8: "int8",
  uint8: "uint8",
  float16: "float16",
};

function cudaHelp(cause: unknown): RuntimeError {
  return new RuntimeError(
    "the CUDA execution provider is not available in this onnxruntime-node install. Download its CUDA " +
      "binaries (needs CUDA 12 and cuDNN 9, and access to api.nuget.org): " +
      "`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`, " +
      "or use device: 'cpu'.",
    { cause },
  );
}

let live = 0;

/**
 * How many sessions this process holds (created and not yet released): each holds its model's constant
 * weights, so tests and benchmarks use it to check that weights are not held twice.
 * @returns the number of live sessions
 * @example
 * ```ts
 * const before = liveSessionCount(); const s = await Session.create("m.onnx"); // liveSessionCount() === before + 1
 * ```
 */
export function liveSessionCount(): number {
  return live;
}

/** An onnxruntime inference session with typed feeds and fetches. */
export class Session {
  private released = false;

  private constructor(
    private readonly inner: ort.InferenceSession,
    readonly label: string,
  ) {
    live += 1;
  }

  /**
   * Creates a session from a model file path or model bytes.
   * @param model - path of a `.onnx` file (needed when it uses external data) or its bytes
   * @param options - device, threads, memory options
   * @returns the session
   * @throws RuntimeError when onnxruntime rejects the model or the device is unavailable
   */
  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const device = options.device ?? "cpu";
    const label = options.label ?? (typeof model === "string" ? model : "model");
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: [device],
      enableMemPattern: options.memPattern ?? false,
      graphOptimizationLevel: options.optimization ?? "all",
      ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
      ...(options.prepacking === false ? { extra: { session: { disable_prepacking: "1" } } } : {}),
    };
    if (device === "cuda" && !ort.listSupportedBackends().some((b) => b.name === "cuda"))
      throw cudaHelp(undefined);
    try {
      const inner =
        typeof model === "string"
          ? await ort.InferenceSession.create(model, opts)
          : await ort.InferenceSession.create(model, opts);
      return new Session(inner, label);
    } catch (e) {
      if (device === "cuda") throw cudaHelp(e);
      throw new RuntimeError(`onnxruntime could not load ${label}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Names the model expects as inputs. */
  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }

  /** Names the model produces. */
  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }

  /**
   * Runs the model.
   * @param feeds - a value for every model input (extra keys are ignored)
   * @param fetches - output names to return (default all)
   * @returns the fetched values by name
   * @throws RuntimeError naming the missing input, or wrapping onnxruntime's failure
   */
  async run(
    feeds: Record<string, TensorValue>,
    fetches?: readonly string[],
  ): Promise<Record<string, TensorValue>> {
    if (this.released) throw new RuntimeError(`session ${this.label} was released`);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of this.inner.inputNames) {
      const v = feeds[name];
      if (!v) throw new RuntimeError(`${this.label}: no value fed for input '${name}'`);
      const type = ORT_TYPE[v.dtype];
      if (!type) throw new RuntimeError(`${this.label}: dtype ${v.dtype} of '${name}' is not supported`);
      ortFeeds[name] = new ort.Tensor(type, v.data as never, [...v.dims]);
    }
    let out: ort.InferenceSession.ReturnType;
    try {
      out = fetches ? await this.inner.run(ortFeeds, [...fetches]) : await this.inner.run(ortFeeds);
    } catch (e) {
      throw new RuntimeError(`${this.label}: run failed: ${(e as Error).message}`, { cause: e });
    }
    const result: Record<string, TensorValue> = {};
    for (const [name, t] of Object.entries(out)) {
      result[name] = { dtype: t.type as DType, dims: t.dims, data: t.data as AnyTypedArray };
    }
    return result;
  }

  /** Frees the native session; further runs throw. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    live -= 1;
    await this.inner.release();
  }
}

/**
 * Makes a {@link TensorValue}.
 * @param dtype - element type
 * @param dims - shape
 * @param data - values (length must equal the product of dims)
 * @returns the value
 */
export function tensorValue(dtype: DType, dims: readonly number[], data: AnyTypedArray): TensorValue {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n)
    throw new RuntimeError(`value of shape [${dims}] needs ${n} elements, got ${data.length}`);
  return { dtype, dims, data };
}
