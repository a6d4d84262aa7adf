/**
 * tunebook: fine-tune small language models from TypeScript, on onnxruntime-node.
 * @packageDocumentation
 */
export * from "./errors";
