/**
 * Lowers a tensor graph to an ONNX model (opset 17). Parameters become initializers: inline values are
 * embedded (or, above a size threshold, written to a side file), and values already in a file (a safetensors
 * shard) are referenced in place as ONNX external data (offset/length), so weights are not copied.
 */
import { writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { onnx } from "onnx-proto";
import { type AnyTypedArray, type DType, ONNX_DTYPE, typedArrayOf } from "../ir/dtype";
import type { Graph, Node, Tensor } from "../ir/graph";
import { type Dim, dimSymbols, numericFactor } from "../ir/shape";
import type { LowerContext, OnnxAttr, SubgraphValue } from "../ops/registry";
import { orderNodes } from "./order";

/** The opset the engine emits. */
export const OPSET = 17;

/** Options of {@link emitOnnx}. */
export interface EmitOptions {
  /** Where the model file will live; required when parameters reference files, or for a side data file. */
  modelPath?: string;
  /** Inline parameters with more bytes than this go to `<model>.data` (needs `modelPath`). Default 1 MiB. */
  externalThreshold?: number;
  /** Graph name stored in the model. */
  name?: string;
  /** Emit trainable parameters as graph inputs (fed each step) instead of initializers. */
  feedTrainable?: boolean;
}

/** A lowered model: its protobuf bytes and the side data file written, if any. */
export interface EmittedModel {
  bytes: Uint8Array;
  proto: onnx.IModelProto;
  outputNames: string[];
  inputNames: string[];
}

function attrProto(name: string, a: OnnxAttr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case "int":
      return { name, type: T.INT, i: a.value };
    case "float":
      return { name, type: T.FLOAT, f: a.value };
    case "ints":
      return { name, type: T.INTS, ints: a.value };
    case "floats":
      return { name, type: T.FLOATS, floats: a.value };
    case "string":
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case "graph":
      return { name, type: T.GRAPH, g: a.value as onnx.IGraphProto };
  }
}

function bytesOf(data: AnyTypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function valueInfo(name: string, dtype: DType, shape: readonly Dim[]): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim } } } };
}

/** One graph scope (the main graph or an `If` branch) being filled with nodes. */
class Scope {
  readonly nodes: onnx.INodeProto[] = [];
  readonly dimCache = new Map<string, string>();
  constructor(
    readonly parent: Scope | undefined,
    readonly available: Set<Tensor>,
  ) {}
}

class Emitter {
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly names = new Map<Tensor, string>();
  private counter = 0;
  private sideData: Uint8Array[] = [];
  private sideOffset = 0;

  constructor(
    readonly graph: Graph,
    readonly options: EmitOptions,
  ) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  nameOf(t: Tensor): string {
    let n = this.names.get(t);
    if (n) return n;
    const src = t.source;
    if (src.kind === "input" || src.kind === "param") n = src.name;
    else if (src.kind === "constant") n = this.constant(src.data, t.dtype, t.shape as number[]);
    else n = this.fresh(`${src.node.op.name}`);
    this.names.set(t, n);
    return n;
  }

  constant(data: AnyTypedArray, dtype: DType, dims: readonly number[]): string {
    const name = this.fresh("const");
    this.initializers.push({ name, dataType: ONNX_DTYPE[dtype], dims: [...dims], rawData: bytesOf(data) });
    return name;
  }

  param(t: Tensor): void {
    if (t.source.kind !== "param") return;
    const { name, data } = t.source;
    const base: onnx.ITensorProto = { name, dataType: ONNX_DTYPE[t.dtype], dims: t.shape as number[] };
    if (data.kind === "external") {
      this.initializers.push({
        ...base,
        dataLocation: 1,
        externalData: this.externalRef(data.file, data.offset, data.length),
      });
    } else if (this.options.modelPath && data.data.byteLength > (this.options.externalThreshold ?? 1 << 20)) {
      const bytes = bytesOf(data.data);
      const pad = (64 - (this.sideOffset % 64)) % 64;
      if (pad) this.sideData.push(new Uint8Array(pad));
      const offset = this.sideOffset + pad;
      this.sideData.push(bytes);
      this.sideOffset = offset + bytes.byteLength;
      const file = `${this.options.modelPath}.data`;
      this.initializers.push({
        ...base,
        dataLocation: 1,
        externalData: this.externalRef(file, offset, bytes.byteLength),
      });
    } else {
      this.initializers.push({ ...base, rawData: bytesOf(data.data) });
    }
  }

  private externalRef(file: string, offset: number, length: number): onnx.IStringStringEntryProto[] {
    if (!this.options.modelPath) throw new Error("parameters stored in files need EmitOptions.modelPath");
    const rel = relative(dirname(resolve(this.options.modelPath)), resolve(file));
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new Error(
        `external data ${file} must be inside the model's folder ${dirname(this.options.modelPath)} (onnxruntime refuses other paths); hard-link or copy it there`,
      );
    }
    return [
      { key: "location", value: rel },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ];
  }

  writeSideData(): void {
    if (!this.sideData.length || !this.options.modelPath) return;
    writeFileSync(`${this.options.modelPath}.data`, Buffer.concat(this.sideData));
  }

  /** Emits the nodes computing `targets` into `scope` (recursively for `If` branches). */
  fill(scope: Scope, targets: readonly Tensor[]): void {
    for (const node of orderNodes(targets, scope.available)) this.lowerNode(scope, node);
  }

  private lowerNode(scope: Scope, node: Node): void {
    const ctx = this.context(scope);
    const inputs = node.inputs.map((t) => this.nameOf(t));
    const outputs = node.outputs.map((t) => this.nameOf(t));
    node.op.lower(ctx, { inputs, outputs, attrs: node.attrs, node });
    for (const t of node.outputs) scope.available.add(t);
  }

  /** Builds an `If` branch: a subgraph returning `outputs`, reading outer values by name. */
  branch(scope: Scope, outputs: readonly Tensor[], label: string): onnx.IGraphProto {
    const inner = new Scope(scope, new Set(scope.available));
    this.fill(inner, outputs);
    const outNames = outputs.map((t) => {
      const renamed = this.fresh(`${label}_out`);
      inner.nodes.push({
        opType: "Identity",
        input: [this.nameOf(t)],
        output: [renamed],
        name: this.fresh("node"),
      });
      return valueInfo(renamed, t.dtype, t.shape);
    });
    return { name: this.fresh(label), node: inner.nodes, output: outNames };
  }

  private context(
    scope: Scope,
  ): LowerContext & { branch(outputs: readonly Tensor[], label: string): onnx.IGraphProto } {
    const emit: LowerContext["emit"] = (opType, inputs, attrs = {}, options = {}) => {
      const output =
        options.outputs ?? Array.from({ length: options.numOutputs ?? 1 }, () => this.fresh(opType));
      scope.nodes.push({
        opType,
        input: inputs,
        output,
        name: this.fresh("node"),
        domain: options.domain ?? "",
        attribute: Object.entries(attrs).map(([k, v]) => attrProto(k, v)),
      });
      return output;
    };
    return {
      emit,
      int64s: (values) => this.constant(typedArrayOf("int64", values), "int64", [values.length]),
      scalar: (value, dtype) => this.constant(typedArrayOf(dtype, [value]), dtype, []),
      dims: (dims) => this.dims(scope, emit, dims),
      fresh: (prefix) => this.fresh(prefix),
      subgraph: (inputs, build) => this.subgraph(scope, inputs, build),
      branch: (outputs, label) => this.branch(scope, outputs, label),
    };
  }

  /** A subgraph whose nodes a lowering emits itself (see {@link LowerContext.subgraph}). */
  private subgraph(
    scope: Scope,
    inputs: readonly SubgraphValue[],
    build: (inner: LowerContext) => readonly SubgraphValue[],
  ): OnnxAttr {
    const inner = new Scope(scope, new Set(scope.available));
    const outputs = build(this.context(inner));
    const info = (v: SubgraphValue): onnx.IValueInfoProto =>
      v.shape
        ? valueInfo(v.name, v.dtype, v.shape)
        : { name: v.name, type: { tensorType: { elemType: ONNX_DTYPE[v.dtype] } } };
    const value: onnx.IGraphProto = {
      name: this.fresh("body"),
      node: inner.nodes,
      input: inputs.map(info),
      output: outputs.map(info),
    };
    return { type: "graph", value };
  }

  private dims(scope: Scope, emit: LowerContext["emit"], dims: readonly Dim[]): string {
    if (dims.every((d) => typeof d === "number")) {
      return this.constant(typedArrayOf("int64", dims as number[]), "int64", [dims.length]);
    }
    const key = dims.join(",");
    const cached = scope.dimCache.get(key);
    if (cached) return cached;
    const parts = dims.map((d) => this.dimValue(emit, d));
    const [out] = emit("Concat", parts, { axis: { type: "int", value: 0 } });
    scope.dimCache.set(key, out);
    return out;
  }

  /** A 1-element int64 tensor holding `d` at run time. */
  private dimValue(emit: LowerContext["emit"], d: Dim): string {
    if (typeof d === "number") return this.constant(typedArrayOf("int64", [d]), "int64", [1]);
    let acc: string | undefined;
    const factor = numericFactor(d);
    if (factor !== 1) acc = this.constant(typedArrayOf("int64", [factor]), "int64", [1]);
    for (const sym of dimSymbols(d)) {
      const src = this.graph.symbolSources.get(sym);
      if (!src)
        throw new Error(
          `dimension '${sym}' is not the dimension of any graph input; cannot resolve it at run time`,
        );
      const [shape] = emit("Shape", [this.nameOf(src.tensor)], {
        start: { type: "int", value: src.axis },
        end: { type: "int", value: src.axis + 1 },
      });
      acc = acc ? emit("Mul", [acc, shape])[0] : shape;
    }
    return acc!;
  }
}

/**
 * Lowers `graph` to an ONNX model computing `outputs`.
 * @param graph - the graph
 * @param outputs - graph outputs by name
 * @param options - where the model will be written (needed for external data)
 * @returns the model bytes and proto
 * @throws Error when an external file lies outside the model's folder or a symbol cannot be resolved
 */
export function emitOnnx(
  graph: Graph,
  outputs: Record<string, Tensor>,
  options: EmitOptions = {},
): EmittedModel {
  const em = new Emitter(graph, options);
  const available = new Set<Tensor>([...graph.inputs, ...graph.params]);
  const main = new Scope(undefined, available);
  const targets = Object.values(outputs);
  em.fill(main, targets);
  const outputInfos = Object.entries(outputs).map(([name, t]) => {
    main.nodes.push({ opType: "Identity", input: [em.nameOf(t)], output: [name], name: em.fresh("node") });
    return valueInfo(name, t.dtype, t.shape);
  });
  const fed = (p: Tensor) => !!options.feedTrainable && p.source.kind === "param" && p.source.trainable;
  const usedParams = graph.params.filter((p) => used(main, em.nameOf(p)));
  for (const p of usedParams) if (!fed(p)) em.param(p);
  em.writeSideData();
  const usedInputs = [...graph.inputs, ...usedParams.filter(fed)].filter((t) => used(main, em.nameOf(t)));
  const proto: onnx.IModelProto = {
    irVersion: 8,
    producerName: "tunebook",
    opsetImport: [
      { domain: "", version: OPSET },
      { domain: "com.microsoft", version: 1 },
    ],
    graph: {
      name: options.name ?? (options.modelPath ? basename(options.modelPath) : "tunebook"),
      node: main.nodes,
      initializer: em.initializers,
      input: usedInputs.map((t) => valueInfo(em.nameOf(t), t.dtype, t.shape)),
      output: outputInfos,
    },
  };
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
  return { bytes, proto, outputNames: Object.keys(outputs), inputNames: usedInputs.map((t) => em.nameOf(t)) };
}

/** True when any node of the scope (or its subgraphs) reads `name`. */
function used(scope: Scope, name: string): boolean {
  const visit = (nodes: onnx.INodeProto[]): boolean =>
    nodes.some((n) => n.input?.includes(name) || n.attribute?.some((a) => a.g?.node && visit(a.g.node)));
  return visit(scope.nodes);
}
