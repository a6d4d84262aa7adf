export { readSafetensors, type StoredFile, type StoredTensor, writeSafetensorsF32 } from "./read-safetensors";
export { ReferenceScriptError } from "./reference-script-error";
export { ReferenceUnavailableError } from "./reference-unavailable-error";
export { DEFAULT_PYTHON, referenceScript, runReferenceScript, torchAvailable } from "./run-script";
export { type ReferenceOp, ReferenceOpSchema, torchOps } from "./torch-ops";
export {
  makeTinyCheckpoint,
  type ReferenceOutput,
  type ReferenceTensor,
  type TinyCheckpointOptions,
  TinyCheckpointOptionsSchema,
  type TorchReferenceOptions,
  TorchReferenceOptionsSchema,
  torchReference,
} from "./torch-reference";
