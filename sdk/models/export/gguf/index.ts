/**
 * GGUF export for llama.cpp and Ollama: the GGUF v3 container, ggml tensor types (f32, f16, q8_0, q4_0), the
 * llama.cpp form of each family, model and tokenizer metadata, and the Ollama Modelfile.
 * @packageDocumentation
 */
export {
  type ExportedGguf,
  type ExportGgufOptions,
  ExportGgufOptionsSchema,
  exportGguf,
  GGUF_FILE,
  GGUF_TYPES,
  type GgufType,
} from "./export-gguf";
export { decodeTensor, encodeTensor, GGML_TYPES, type GgmlTypeName } from "./ggml-types";
export { GGUF_MODEL_TYPES } from "./gguf-arch";
export { KNOWN_PRE_TOKENIZERS } from "./gguf-tokenizer";
