export type { Architecture } from "./architecture";
export {
  type DecoderConfig,
  type HfDecoderConfig,
  HfDecoderConfigSchema,
  parseHfDecoderConfig,
  type SlidingWindow,
} from "./decoder-config";
export { ARCHITECTURES, architectureFor, normalizeConfig, supportedModelTypes } from "./registry";
export { UnknownModelTypeError } from "./unknown-model-type-error";
