/**
 * Hugging Face model directories in: safetensors, model directory loading, tokenizer + chat template, hub.
 * The public face of this part of the models layer (re-exported by `sdk/models/index.ts`).
 * @packageDocumentation
 */
export * from "./errors";
export * from "./hf-dir";
export * from "./hub";
export * from "./safetensors";
export * from "./tokenizer";
