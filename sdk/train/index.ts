/**
 * `sdk/train`: experiment configuration, LoRA settings, training events, the experiment store.
 * @packageDocumentation
 */
export * from "./config";
export * from "./events";
export * from "./experiment";
export * from "./lora-config";
export * from "./plan";
export * from "./problems";
export * from "./run-defaults";
export * from "./store";
export * from "./trainer";
