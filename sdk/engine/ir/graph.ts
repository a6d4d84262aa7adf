import { ShapeError } from "../errors/shape-error";
import type { OpDef } from "../ops/registry";
import { type AnyTypedArray, type DType, isFloat } from "./dtype";
import { type Dim, formatShape, type Shape } from "./shape";

/** Where a parameter's values come from. */
export type ParamData =
  | { kind: "inline"; data: AnyTypedArray }
  /** Bytes already in a file (e.g. a safetensors shard), referenced in place as ONNX external data. */
  | { kind: "external"; file: string; offset: number; length: number };

/** How a tensor came to be. */
export type TensorSource =
  | { kind: "input"; name: string }
  | { kind: "param"; name: string; data: ParamData; trainable: boolean }
  | { kind: "constant"; data: AnyTypedArray }
  | { kind: "op"; node: Node; index: number };

/** Attribute values an op can carry. */
// biome-ignore lint/suspicious/noExplicitAny: attribute bags are typed per op by OpDef<A>.
export type Attrs = Record<string, any>;

/** A symbolic tensor: a value in a graph, with dtype and (possibly symbolic) shape. */
export class Tensor {
  private static nextId = 0;
  readonly id = Tensor.nextId++;

  constructor(
    readonly graph: Graph,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly source: TensorSource,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** The node that produced this tensor, if an op did. */
  get node(): Node | undefined {
    return this.source.kind === "op" ? this.source.node : undefined;
  }

  toString(): string {
    const name = "name" in this.source ? this.source.name : `t${this.id}`;
    return `${name}: ${this.dtype}${formatShape(this.shape)}`;
  }
}

/**
 * A recomputation region: nodes built inside `checkpoint(graph, fn)`. The backward does not read their forward
 * values; it rebuilds them from the region's inputs when it first needs one (see `sdk/engine/recompute.ts`).
 */
export interface RecomputeRegion {
  /** For messages, e.g. `model.layers.3`. */
  readonly label: string;
}

/** One op application. */
export class Node {
  outputs: Tensor[] = [];
  /** The recomputation region the node was built in, if any. */
  region?: RecomputeRegion;
  constructor(
    readonly op: OpDef,
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
  ) {}
}

/** The dtype and shape of a value, as shape rules see them. */
export interface TensorType {
  dtype: DType;
  shape: Shape;
}

/**
 * A graph under construction: graph inputs (fed at run time), parameters (weights, trainable or frozen),
 * constants, and the op nodes that connect them. Ops are applied with the functions in `ops/`.
 */
export class Graph {
  readonly inputs: Tensor[] = [];
  readonly params: Tensor[] = [];
  /** For each symbolic dimension name, a graph input and axis where it can be read at run time. */
  readonly symbolSources = new Map<string, { tensor: Tensor; axis: number }>();
  private readonly names = new Set<string>();
  /** The region new nodes are recorded in (set by {@link Graph.inRegion}). */
  private region?: RecomputeRegion;

  /**
   * Runs `build` with every node it applies recorded in `region` (a region already open stays in force:
   * regions do not nest).
   * @param region - the region
   * @param build - builds the region's nodes
   * @returns what `build` returns
   */
  inRegion<T>(region: RecomputeRegion, build: () => T): T {
    if (this.region) return build();
    this.region = region;
    try {
      return build();
    } finally {
      this.region = undefined;
    }
  }

  /**
   * Declares a graph input.
   * @param name - unique name (the feed key)
   * @param dtype - element type
   * @param shape - dimensions; strings are symbols shared across inputs (e.g. `"B"`, `"T"`)
   * @returns the input tensor
   */
  input(name: string, dtype: DType, shape: Shape): Tensor {
    this.claim(name);
    const t = new Tensor(this, dtype, shape, { kind: "input", name });
    shape.forEach((d, axis) => {
      if (typeof d === "string" && !d.includes("*") && !this.symbolSources.has(d)) {
        this.symbolSources.set(d, { tensor: t, axis });
      }
    });
    this.inputs.push(t);
    return t;
  }

  /**
   * Declares a parameter (a weight).
   * @param name - unique name (Hugging Face names are kept, e.g. `model.layers.0.mlp.up_proj.weight`)
   * @param shape - static dimensions
   * @param data - values, inline or in a file
   * @param options - `trainable` (default false)
   * @returns the parameter tensor
   */
  param(
    name: string,
    shape: readonly number[],
    data: ParamData,
    options: { trainable?: boolean; dtype?: DType } = {},
  ): Tensor {
    this.claim(name);
    const dtype = options.dtype ?? "float32";
    const t = new Tensor(this, dtype, shape, {
      kind: "param",
      name,
      data,
      trainable: options.trainable ?? false,
    });
    this.params.push(t);
    return t;
  }

  /** A constant of the given dtype and shape (small values; stored in the model). */
  constant(data: AnyTypedArray, dtype: DType, shape: readonly number[]): Tensor {
    return new Tensor(this, dtype, shape, { kind: "constant", data });
  }

  /** Applies an op: checks inputs with the op's shape rule and returns its outputs. */
  apply(op: OpDef, inputs: readonly Tensor[], attrs: object = {}): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this)
        throw new ShapeError(op.name, inputs.map(String), "inputs belong to different graphs");
    }
    let types: TensorType[];
    try {
      types = op.infer(inputs, attrs);
    } catch (e) {
      if (e instanceof ShapeError) throw e;
      throw new ShapeError(op.name, inputs.map(String), (e as Error).message);
    }
    const node = new Node(op, inputs, attrs as Attrs);
    if (this.region) node.region = this.region;
    node.outputs = types.map(
      (ty, index) => new Tensor(this, ty.dtype, ty.shape, { kind: "op", node, index }),
    );
    return node.outputs;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`a tensor named '${name}' already exists in this graph`);
    this.names.add(name);
  }
}

/** True when gradients can flow through a tensor of this type. */
export function isDifferentiable(t: Tensor): boolean {
  return isFloat(t.dtype);
}

/** The dimension symbols' sources merged from one graph, for error messages and lowering. */
export type SymbolTable = Graph["symbolSources"];
export type { Dim };
