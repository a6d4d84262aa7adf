/**
 * The engine: symbolic tensor graphs with reverse-mode autodiff, lowered to ONNX and run on onnxruntime-node.
 * @packageDocumentation
 */
export { grad, topoOrder } from "./autodiff";
export { type CompileOptions, compile } from "./compile";
export { RuntimeError, ShapeError } from "./errors";
export { type AnyTypedArray, type DType, isFloat, typedArrayOf } from "./ir/dtype";
export { Graph, type ParamData, type RecomputeRegion, Tensor } from "./ir/graph";
export { type Dim, formatShape, mulDims, type Shape } from "./ir/shape";
export { type EmitOptions, type EmittedModel, emitOnnx, OPSET } from "./onnx/emit";
export * from "./ops";
export { checkpoint } from "./recompute";
export {
  type Device,
  liveSessionCount,
  Session,
  type SessionOptions,
  type TensorValue,
  tensorValue,
} from "./runtime/session";
export * from "./train";
