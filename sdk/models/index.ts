/**
 * The models layer: Hugging Face model directories in (safetensors, tokenizer, hub), architectures by
 * `model_type`, the shared decoder blocks, LoRA injection, and `Backbone`.
 * @packageDocumentation
 */
export * from "./arch";
export { Backbone, type BackboneOptions, BackboneOptionsSchema, type Logits } from "./backbone";
export * from "./blocks";
export * from "./export";
export * from "./generate";
export * from "./io";
export * from "./lora";
export { BACKBONE_DTYPES, type BackboneDtype, QUANT_CACHE_VERSION } from "./quant";
