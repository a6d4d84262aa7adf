/**
 * Weight-only quantization of an exported ONNX decoder, in the two forms transformers.js loads by `dtype`:
 *
 * - `q8` (`model_quantized.onnx`): every linear layer's weight `[N, K]` (a `Gemm` with `transB`) as int8 with one
 *   float scale per output row (symmetric, zero point 0), dequantized by a standard `DequantizeLinear` (axis 0)
 *   in front of the unchanged `Gemm` (QDQ form; any ONNX runtime runs it).
 * - `q4` (`model_q4.onnx`): the `Gemm` replaced by onnxruntime's contrib op `com.microsoft.MatMulNBits` (bits 4,
 *   block size 32 along K, one float scale per block, symmetric, the default zero point 8), as onnxruntime's own
 *   4-bit quantizer writes it; onnxruntime (node, web/wasm) runs it.
 *
 * Embeddings, norms and activations stay float32; a tied embedding keeps its float copy for the lookup.
 * Dimension letters: N output features, K input features.
 */
import { onnx } from "onnx-proto";
import { initializerBytes } from "./onnx-external-data";

/** The quantized ONNX variants an export can write, by transformers.js `dtype`. */
export const ONNX_QUANTIZATIONS = ["q8", "q4"] as const;

/** A quantized variant: `q8` (int8 QDQ) or `q4` (4-bit `MatMulNBits`). */
export type OnnxQuantization = (typeof ONNX_QUANTIZATIONS)[number];

/** The 4-bit block size along K (as onnxruntime's quantizer's default). */
export const Q4_BLOCK = 32;

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function attr(node: onnx.INodeProto, name: string): number | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  if (!a) return undefined;
  return a.type === onnx.AttributeProto.AttributeType.FLOAT ? (a.f ?? 0) : Number(String(a.i ?? 0));
}

function intAttr(name: string, value: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

/**
 * int8 per-row symmetric quantization of `w` `[N, K]`.
 * @param w - row-major weights
 * @param N - rows (output features)
 * @returns the int8 values and one scale per row
 * @example
 * ```ts
 * const { q, scales } = quantizeRowsInt8(new Float32Array([1, -2, 0.5, 4]), 2); // scales [2/127, 4/127]
 * ```
 */
export function quantizeRowsInt8(w: Float32Array, N: number): { q: Int8Array; scales: Float32Array } {
  const K = w.length / N;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let max = 0;
    for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(w[n * K + k]));
    const scale = max > 0 ? max / 127 : 1;
    scales[n] = scale;
    for (let k = 0; k < K; k++)
      q[n * K + k] = Math.max(-127, Math.min(127, Math.round(w[n * K + k] / scale)));
  }
  return { q, scales };
}

/**
 * 4-bit block quantization of `w` `[N, K]` in `MatMulNBits` layout: per row, blocks of {@link Q4_BLOCK} along K
 * (the last one zero-padded), each value `q = round(w / scale) + 8` in 0…15 with `scale = max|w| / 7`, two per
 * byte (the even element in the low nibble).
 * @param w - row-major weights
 * @param N - rows
 * @returns packed `[N, blocks, 16]` bytes, `[N · blocks]` scales and the block count
 * @example
 * ```ts
 * const { packed, scales, blocks } = quantizeBlocksQ4(weights, 64);
 * ```
 */
export function quantizeBlocksQ4(
  w: Float32Array,
  N: number,
): { packed: Uint8Array; scales: Float32Array; blocks: number } {
  const K = w.length / N;
  const blocks = Math.ceil(K / Q4_BLOCK);
  const packed = new Uint8Array(N * blocks * (Q4_BLOCK / 2));
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const start = b * Q4_BLOCK;
      const end = Math.min(K, start + Q4_BLOCK);
      let max = 0;
      for (let k = start; k < end; k++) max = Math.max(max, Math.abs(w[n * K + k]));
      const scale = max > 0 ? max / 7 : 1;
      scales[n * blocks + b] = scale;
      const base = (n * blocks + b) * (Q4_BLOCK / 2);
      for (let j = 0; j < Q4_BLOCK; j++) {
        const k = start + j;
        const v = k < end ? Math.max(-8, Math.min(7, Math.round(w[n * K + k] / scale))) + 8 : 8;
        packed[base + (j >> 1)] |= (j & 1) === 0 ? v : v << 4;
      }
    }
  }
  return { packed, scales, blocks };
}

function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): onnx.ITensorProto {
  return {
    name,
    dataType,
    dims,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** The float32 weight a `Gemm` node multiplies by (transposed), when it is an initializer of rank 2. */
function quantizableWeight(
  node: onnx.INodeProto,
  initializers: Map<string, onnx.ITensorProto>,
): onnx.ITensorProto | undefined {
  if (node.opType !== "Gemm" || node.input?.length !== 2) return undefined;
  if (attr(node, "transB") !== 1 || (attr(node, "transA") ?? 0) !== 0) return undefined;
  if ((attr(node, "alpha") ?? 1) !== 1) return undefined;
  const w = initializers.get(node.input[1]);
  return w && w.dataType === FLOAT && w.dims?.length === 2 ? w : undefined;
}

/**
 * Returns a quantized copy of an exported decoder (the input model is not changed).
 * @param model - the float32 model (initializers inline or external relative to `sourceDir`)
 * @param sourceDir - the folder its external data `location`s are relative to
 * @param kind - `q8` or `q4`
 * @returns the new model (new initializers inline; save it with `saveWithExternalData`) and the number of
 *   weights quantized
 * @throws Error when a weight file cannot be read
 * @example
 * ```ts
 * const { model: q4 } = quantizeOnnxModel(model, buildDir, "q4");
 * saveWithExternalData(q4, buildDir, "out/onnx/model_q4.onnx");
 * ```
 */
export function quantizeOnnxModel(
  model: onnx.ModelProto,
  sourceDir: string,
  kind: OnnxQuantization,
): { model: onnx.ModelProto; quantized: number } {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const graph = copy.graph as onnx.GraphProto;
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? "", t]));
  const added: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const replaced = new Set<string>();
  const done = new Map<string, string>(); // q8: weight → its dequantized name, shared by all users
  for (const node of graph.node) {
    const w = quantizableWeight(node, initializers);
    if (!w) {
      nodes.push(node);
      continue;
    }
    const [N, K] = (w.dims ?? []).map(Number);
    const bytes = initializerBytes(w, sourceDir);
    const values = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    replaced.add(w.name ?? "");
    if (kind === "q8") {
      let dq = done.get(w.name ?? "");
      if (!dq) {
        dq = `${w.name}_dequantized`;
        const { q, scales } = quantizeRowsInt8(values, N);
        const int8 = onnx.TensorProto.DataType.INT8;
        added.push(tensor(`${w.name}_quantized`, int8, [N, K], q));
        added.push(tensor(`${w.name}_scale`, FLOAT, [N], scales));
        added.push(tensor(`${w.name}_zero_point`, int8, [N], new Int8Array(N)));
        nodes.push({
          opType: "DequantizeLinear",
          name: `${w.name}_DequantizeLinear`,
          input: [`${w.name}_quantized`, `${w.name}_scale`, `${w.name}_zero_point`],
          output: [dq],
          attribute: [intAttr("axis", 0)],
        });
        done.set(w.name ?? "", dq);
      }
      nodes.push({ ...node, input: [node.input?.[0] ?? "", dq] });
      continue;
    }
    const { packed, scales, blocks } = quantizeBlocksQ4(values, N);
    const id = `${node.name || node.output?.[0]}`;
    added.push(tensor(`${id}_Q4`, onnx.TensorProto.DataType.UINT8, [N, blocks, Q4_BLOCK / 2], packed));
    added.push(tensor(`${id}_scales`, FLOAT, [N * blocks], scales));
    nodes.push({
      opType: "MatMulNBits",
      domain: "com.microsoft",
      name: `${id}_MatMulNBits`,
      input: [node.input?.[0] ?? "", `${id}_Q4`, `${id}_scales`],
      output: node.output,
      attribute: [intAttr("K", K), intAttr("N", N), intAttr("bits", 4), intAttr("block_size", Q4_BLOCK)],
    });
  }
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  graph.node = nodes.map((n) => onnx.NodeProto.create(n));
  graph.initializer = [
    ...graph.initializer.filter((t) => !replaced.has(t.name ?? "") || used.has(t.name ?? "")),
    ...added.map((t) => onnx.TensorProto.create(t)),
  ];
  if (kind === "q4" && !copy.opsetImport.some((o) => o.domain === "com.microsoft")) {
    copy.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: "com.microsoft", version: 1 }));
  }
  return { model: copy, quantized: replaced.size };
}
