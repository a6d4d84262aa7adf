/**
 * Graph → ONNX → onnxruntime session, in one call.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Graph, Tensor } from "./ir/graph";
import { type EmitOptions, emitOnnx } from "./onnx/emit";
import { Session, type SessionOptions } from "./runtime/session";

/** Options of {@link compile}. */
export interface CompileOptions
  extends SessionOptions,
    Pick<EmitOptions, "externalThreshold" | "feedTrainable"> {
  /**
   * Write the model to this path and load it from there (required when parameters reference weight files,
   * which must then lie in the same folder or below it). Without it the model is loaded from memory.
   */
  modelPath?: string;
}

/**
 * Lowers `graph` to ONNX and opens an onnxruntime session computing `outputs`.
 * @param graph - the graph
 * @param outputs - named outputs
 * @param options - model path, device, threads
 * @returns a ready session
 * @example
 * ```ts
 * const g = new Graph(); const x = g.input("x", "float32", ["N", 4]);
 * const s = await compile(g, { y: relu(x) });
 * ```
 */
export async function compile(
  graph: Graph,
  outputs: Record<string, Tensor>,
  options: CompileOptions = {},
): Promise<Session> {
  const { modelPath, externalThreshold, feedTrainable, ...sessionOptions } = options;
  const emitted = emitOnnx(graph, outputs, { modelPath, externalThreshold, feedTrainable });
  if (!modelPath) return Session.create(emitted.bytes, sessionOptions);
  mkdirSync(dirname(modelPath), { recursive: true });
  writeFileSync(modelPath, emitted.bytes);
  return Session.create(modelPath, { label: modelPath, ...sessionOptions });
}
