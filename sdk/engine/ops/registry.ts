import type { DType } from "../ir/dtype";
import type { Attrs, Node, Tensor, TensorType } from "../ir/graph";
import type { Dim } from "../ir/shape";

/** An ONNX attribute with its type made explicit (JS numbers alone cannot say int or float). */
export type OnnxAttr =
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "ints"; value: number[] }
  | { type: "floats"; value: number[] }
  | { type: "string"; value: string }
  | { type: "graph"; value: unknown };

/** Typed attribute constructors for lowerings. */
export const attr = {
  int: (value: number): OnnxAttr => ({ type: "int", value }),
  float: (value: number): OnnxAttr => ({ type: "float", value }),
  ints: (value: number[]): OnnxAttr => ({ type: "ints", value }),
  floats: (value: number[]): OnnxAttr => ({ type: "floats", value }),
  string: (value: string): OnnxAttr => ({ type: "string", value }),
};

/** What a lowering can do: emit ONNX nodes and small constants. */
export interface LowerContext {
  /**
   * Emits one ONNX node.
   * @returns its output names (fresh ones unless `outputs` is given)
   */
  emit(
    opType: string,
    inputs: string[],
    attrs?: Record<string, OnnxAttr>,
    options?: { outputs?: string[]; numOutputs?: number; domain?: string },
  ): string[];
  /** A 1-D int64 constant. */
  int64s(values: number[]): string;
  /** A scalar constant of a dtype. */
  scalar(value: number, dtype: DType): string;
  /** A 1-D int64 tensor holding these dimensions at run time (symbols resolved from graph inputs). */
  dims(dims: readonly Dim[]): string;
  /** A fresh value name (for the inputs of a subgraph). */
  fresh(prefix: string): string;
  /**
   * Builds a subgraph (a `Loop` body or an `If` branch) as a graph attribute: `build` emits its nodes through
   * the inner context and returns its outputs; the nodes may read any value of the enclosing scopes by name.
   * @param inputs - the subgraph's formal inputs (a `Loop` body's iteration number, condition and carried values)
   * @param build - emits the nodes and returns the outputs in order
   */
  subgraph(
    inputs: readonly SubgraphValue[],
    build: (inner: LowerContext) => readonly SubgraphValue[],
  ): OnnxAttr;
}

/** A subgraph input or output: its name, element type and, where known, its shape (symbols allowed). */
export interface SubgraphValue {
  name: string;
  dtype: DType;
  shape?: readonly Dim[];
}

/** Arguments of a lowering. */
export interface LowerArgs<A = Attrs> {
  inputs: string[];
  outputs: string[];
  attrs: A;
  node: Node;
}

/** Arguments of a gradient rule. */
export interface GradArgs<A = Attrs> {
  node: Node;
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
  attrs: A;
  /** Gradient of the loss w.r.t. each output (undefined where none flows). */
  dOut: readonly (Tensor | undefined)[];
  /** Which inputs need a gradient. */
  wants: readonly boolean[];
}

/** One input of a gradient-check case. */
export interface CheckInput {
  shape: number[];
  /** Defaults to the checked float dtype. */
  dtype?: DType;
  /** Explicit values (required for integer inputs). */
  values?: number[];
  /** Set on inputs the op reads only for their shape or as data, so no gradient flows to them. */
  noGrad?: boolean;
  /** Range for random values (default [-1, 1]). */
  range?: [number, number];
}

/** A case the registry-driven gradient check runs for an op. */
export interface GradCheckCase {
  name?: string;
  inputs: CheckInput[];
  attrs?: Attrs;
  /** Run in float32 when onnxruntime's CPU kernel has no float64 version (looser tolerance). */
  float32Only?: boolean;
  /** Relative tolerance instead of the default (for ops whose kernels quantize at run time). */
  tolerance?: number;
}

/**
 * An op, declared once: its shape/dtype rule, its ONNX lowering, and its gradient rule written with other
 * registered ops (`"none"` for ops through which no gradient flows, such as comparisons).
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds ops of every attribute type.
export interface OpDef<A = any> {
  name: string;
  infer(inputs: readonly TensorType[], attrs: A): TensorType[];
  lower(ctx: LowerContext, args: LowerArgs<A>): void;
  grad: ((args: GradArgs<A>) => (Tensor | undefined)[]) | "none";
  /** Cases for the gradient check; every differentiable op must have at least one. */
  checks?: GradCheckCase[];
}

const registry = new Map<string, OpDef>();

/**
 * Registers an op; registering a name twice throws.
 * @param def - the op
 * @returns the same def, typed
 */
export function defineOp<A extends object = Attrs>(def: OpDef<A>): OpDef<A> {
  if (registry.has(def.name)) throw new Error(`op '${def.name}' is already registered`);
  registry.set(def.name, def);
  return def;
}

/** Every registered op, in registration order. */
export function registeredOps(): OpDef[] {
  return [...registry.values()];
}

/** The op named `name`; throws listing the known ones when it is not registered. */
export function getOp(name: string): OpDef {
  const op = registry.get(name);
  if (!op) throw new Error(`unknown op '${name}'; registered: ${[...registry.keys()].join(", ")}`);
  return op;
}
