export type { Architecture } from "./architecture";
export {
  type DecoderConfig,
  type HfDecoderConfig,
  HfDecoderConfigSchema,
  type LayerNorms,
  PRE_NORMS,
  parseHfDecoderConfig,
  type SlidingWindow,
  type SublayerNorms,
} from "./decoder-config";
export { ARCHITECTURES, architectureFor, normalizeConfig, supportedModelTypes } from "./registry";
export { UnknownModelTypeError } from "./unknown-model-type-error";
