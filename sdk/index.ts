/**
 * tunebook: fine-tune small language models from TypeScript, on onnxruntime-node.
 * @packageDocumentation
 */

// Names several layers export: the engine's symbolic Tensor and the dataset's ChatMessage win at the top
// level; the safetensors tensor type and the server's message type stay reachable from their layers.
export type { ChatMessage } from "./data";
export * from "./data";
export * from "./datagen";
export * from "./engine";
export { Tensor } from "./engine";
export * from "./errors";
export * from "./eval";
export * from "./models";
export * from "./serve";
export * from "./train";
export * from "./util";
