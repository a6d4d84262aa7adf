export { parseOptions } from "../../errors";
export { HubError } from "./hub-error";
export { ModelDirError } from "./model-dir-error";
export { SafetensorsError } from "./safetensors-error";
export { TokenizerError } from "./tokenizer-error";
