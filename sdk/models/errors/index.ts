export { HubError } from "./hub-error";
export { ModelDirError } from "./model-dir-error";
export { parseOptions } from "./parse-options";
export { SafetensorsError } from "./safetensors-error";
export { TokenizerError } from "./tokenizer-error";
