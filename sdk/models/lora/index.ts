export { AdapterError } from "./adapter-error";
export { applyDoraMagnitude, type DoraLinearInputs, doraLinear, doraWeightNorm, rowNorms } from "./dora";
export { type LoraAdapter, loadLoraAdapter, withTensorAliases } from "./load-adapter";
export { LoraInjector } from "./lora-injector";
export {
  isLoraTarget,
  LINEAR_MODULES,
  type LoraOptions,
  LoraOptionsSchema,
  loraScale,
  peftNames,
  type ResolvedLoraOptions,
} from "./lora-options";
export {
  adapterTensors,
  type PeftLoraJson,
  peftAdapterConfig,
  peftLoraJson,
  type SaveLoraAdapterOptions,
  saveLoraAdapter,
} from "./save-adapter";
